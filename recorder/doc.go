// Package recorder records what the simulator plays: it implements
// simulator.Observer, whose Begin gives each play a handle (*Play) that
// records it as one run and knows the run's ID, and writes every run,
// step, exchange and transaction to the store from one background
// goroutine, in batched transactions. Live views tail the store (the web
// package), so they also see runs recorded by other processes. Load
// reads a recorded run back for show, export, replay and the web: its
// script and the run in the one vocabulary (package report), never as
// the simulator's types.
package recorder
