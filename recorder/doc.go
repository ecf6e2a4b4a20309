// Package recorder records what the simulator plays: it implements
// simulator.Observer, writes every run, step, exchange and transaction to
// the store from one background goroutine, and publishes each event to
// live subscribers without ever letting a slow subscriber hold the
// simulator back. Load rebuilds a recorded run for show, export and replay.
package recorder
