// Package recorder records what the simulator plays: it implements
// simulator.Observer, whose Begin gives each play a handle (*Play) that
// records it as one run and knows the run's ID, and writes every run,
// step, exchange and transaction to the store from one background
// goroutine, in batched transactions. Live views tail the store (the web
// package), so they also see runs recorded by other processes. Load
// rebuilds a recorded run for show, export and replay.
package recorder
