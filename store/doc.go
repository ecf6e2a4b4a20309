// Package store keeps the history of every hook exchange in a SQLite
// database: runs (one played session each), their steps, the exchanges
// with request and response bodies byte for byte (and, since schema
// version 3, their HTTP heads as they were on the wire), and the messages
// of their transactions. Since schema version 5, message bodies, the
// pieces of a run's script and request bodies over ChunkSize are blobs
// (response bodies over ChunkSize too, since version 7):
// each kept once by the SHA-256 of its bytes (an unchanged final message,
// a script's message file and the message played share one), in 256 KiB
// chunks when larger, and deleted by Prune once no run uses them. Since
// schema version 10 a message also keeps when its transaction ended, the
// headers the server wrote in front of it when it queued it, and the
// result of its relay downstream; ListMessages and TailMessages read the
// queued messages across runs as a mail catcher lists them.
//
// A Store has one writer connection (so writes never wait on each other
// inside the process) and a pool of read-only connections; the database
// is in WAL mode, so readers never block the writer. The schema is created
// and upgraded by numbered migrations embedded in the binary. The store
// speaks in its own row types and knows nothing of the simulator.
package store
