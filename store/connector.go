package store

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/mattn/go-sqlite3"
)

// connector opens go-sqlite3 connections for one DSN and runs init on
// each new connection, without registering a driver globally.
type connector struct {
	dsn  string
	init string // SQL run on every new connection; "" for none
}

// Connect implements driver.Connector.
func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := &sqlite3.SQLiteDriver{}
	if c.init != "" {
		d.ConnectHook = func(conn *sqlite3.SQLiteConn) error {
			if _, err := conn.Exec(c.init, nil); err != nil {
				return fmt.Errorf("%s: %w", c.init, err)
			}
			return nil
		}
	}
	return d.Open(c.dsn)
}

// Driver implements driver.Connector.
func (c connector) Driver() driver.Driver { return &sqlite3.SQLiteDriver{} }
