package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	"github.com/mattn/go-sqlite3"
)

// driverConn is the writer's go-sqlite3 connection with the recorder's
// statements prepared on it once. A transaction's inserts run on it
// directly instead of through database/sql, whose work for every call
// (converting and checking each argument, locking the connection, the
// retry loop, a statement bound to each transaction) cost more than
// SQLite's own insert: about a third of a recording's writes. It is
// only touched inside sql.Conn.Raw on the one writer connection, which
// serializes its use.
type driverConn struct {
	conn  *sqlite3.SQLiteConn
	stmts [numStmts]*sqlite3.SQLiteStmt
	args  []driver.NamedValue // reused for every statement's arguments
	vals  []driver.Value      // reused for every row read
	json  jsonScratch         // a row's JSON columns
}

// raw runs fn with the writer's driver connection, inside the
// transaction t began on it. fn must not use t.tx meanwhile (the
// connection is locked while fn runs).
func (t *Tx) raw(fn func(d *driverConn) error) error {
	return t.conn.Raw(func(dc any) error {
		c, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return fmt.Errorf("store: the writer connection is a %T, not go-sqlite3's", dc)
		}
		d := &t.s.dc
		if d.conn != c {
			// A new connection (database/sql replaced a broken one):
			// the old statements went with the old connection.
			*d = driverConn{conn: c}
		}
		return fn(d)
	})
}

// stmt is statement k, prepared on first use.
func (d *driverConn) stmt(ctx context.Context, k stmtKind) (*sqlite3.SQLiteStmt, error) {
	if st := d.stmts[k]; st != nil {
		return st, nil
	}
	st, err := d.conn.PrepareContext(ctx, stmtSQL[k])
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	s, ok := st.(*sqlite3.SQLiteStmt)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("prepare: a %T, not go-sqlite3's statement", st)
	}
	d.stmts[k] = s
	return s, nil
}

// bind sets d.args to vals. go-sqlite3 binds int64, float64, bool,
// []byte, string, time.Time and nil: an int is widened here, anything
// else is refused by the driver with an error.
func (d *driverConn) bind(vals []any) []driver.NamedValue {
	d.args = d.args[:0]
	for i, v := range vals {
		if n, ok := v.(int); ok {
			v = int64(n)
		}
		d.args = append(d.args, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	return d.args
}

// exec runs statement k with vals.
func (d *driverConn) exec(ctx context.Context, k stmtKind, vals ...any) (sql.Result, error) {
	st, err := d.stmt(ctx, k)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, d.bind(vals))
}

// fusedLimit is the most bytes of text and blobs a row passed to insert
// may hold to take the query path: that path copies them into a buffer
// the statement keeps (for its next rows) until the store closes.
const fusedLimit = 64 << 10

// insert runs statement k, an INSERT whose row id is not needed, with
// vals. A row of up to fusedLimit bytes goes through go-sqlite3's query
// path, which resets, binds every argument and steps in one cgo call,
// where Exec makes a call per argument: for a 25-column row that was
// most of the insert's cost.
func (d *driverConn) insert(ctx context.Context, k stmtKind, vals ...any) error {
	size := 0
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			size += len(v)
		case []byte:
			size += len(v)
		}
	}
	if size > fusedLimit {
		_, err := d.exec(ctx, k, vals...)
		return err
	}
	st, err := d.stmt(ctx, k)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, d.bind(vals))
	if err != nil {
		return err
	}
	return rows.Close()
}

// execer is statement k as an execer.
func (d *driverConn) execer(k stmtKind) execer {
	return func(ctx context.Context, args ...any) (sql.Result, error) { return d.exec(ctx, k, args...) }
}

// queryInt64 runs statement k with vals and returns the first column of
// its first row; found is false when there is none.
func (d *driverConn) queryInt64(ctx context.Context, k stmtKind, vals ...any) (n int64, found bool, err error) {
	st, err := d.stmt(ctx, k)
	if err != nil {
		return 0, false, err
	}
	rows, err := st.QueryContext(ctx, d.bind(vals))
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	if cap(d.vals) < 1 {
		d.vals = make([]driver.Value, 1)
	}
	dest := d.vals[:len(rows.Columns())]
	switch err := rows.Next(dest); {
	case errors.Is(err, io.EOF):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	v, ok := dest[0].(int64)
	if !ok {
		return 0, false, fmt.Errorf("read a %T where an integer was expected", dest[0])
	}
	return v, true, nil
}

// close finalizes the statements.
func (d *driverConn) close() error {
	var errs []error
	for i, st := range d.stmts {
		if st != nil {
			errs = append(errs, st.Close())
			d.stmts[i] = nil
		}
	}
	return errors.Join(errs...)
}
