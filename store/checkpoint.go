package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// checkpointInterval is how often the checkpointer copies the WAL back
// into the database file while writes happen. A checkpoint writes each
// page changed since the last one once, however often it was committed,
// and syncs the file: once a second (rather than four times) writes the
// recorder's few hot pages fewer times, for a WAL of at most a second of
// commits.
const checkpointInterval = time.Second

// checkpointer moves committed pages from the WAL into the database file
// on its own connection, so that the writer's commits never wait for the
// fsync a checkpoint needs. It runs passive checkpoints, which never block
// the writer or the readers.
type checkpointer struct {
	db   *sql.DB
	done chan struct{}
	quit chan struct{}
}

func startCheckpointer(ctx context.Context, path string) (*checkpointer, error) {
	db := sql.OpenDB(connector{dsn: dsn(path, false)})
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("checkpointer: %w", err)
	}
	c := &checkpointer{db: db, done: make(chan struct{}), quit: make(chan struct{})}
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-c.quit
		cancel()
	}()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			// A busy database or a cancelled checkpoint is retried at the
			// next tick; nothing is lost, the WAL just grows meanwhile.
			var busy, logFrames, done int
			_ = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
		}
	}
}

// stop ends the loop and closes the connection.
func (c *checkpointer) stop() error {
	close(c.quit)
	<-c.done
	return c.db.Close()
}
