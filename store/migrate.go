package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// versionError is a database written by a newer hooksim.
type versionError struct {
	have, know int
}

func (e *versionError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this hooksim (%d); upgrade hooksim", e.have, e.know)
}

// SchemaVersion is the schema version this build writes: the number of
// the last embedded migration.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrations lists the embedded migrations in order. Their file names
// start with their number ("0001_init.sql"), numbered from 1 without gaps.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s: name must start with its number", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %s: expected number %d", m.name, i+1)
		}
	}
	return out, nil
}

// migrate brings the schema of db (the writer) to the newest version, all
// migrations in one transaction, recording the version in PRAGMA
// user_version.
// A database newer than this build is refused. Migrations run with
// foreign keys off, as SQLite's table rebuild procedure needs (dropping a
// parent table would otherwise cascade to its children), and each checks
// them with PRAGMA foreign_key_check before it commits.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	know := len(ms)
	have, err := userVersion(ctx, db)
	if err != nil {
		return err
	}
	if have > know {
		return &versionError{have: have, know: know}
	}
	if have == know {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return fmt.Errorf("migrate: foreign keys off: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	if err := apply(ctx, conn, ms, know); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = ON"); err != nil {
		return fmt.Errorf("migrate: foreign keys on: %w", err)
	}
	return nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func userVersion(ctx context.Context, q queryer) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// apply runs the migrations the database lacks in one transaction: an
// upgrade (or a new database) is all or nothing, and a new database gets
// its schema in one commit. The version is read again inside the
// transaction (which holds the write lock), so two processes opening a
// new database at once do not both apply them.
func apply(ctx context.Context, conn *sql.Conn, ms []migration, know int) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback()
	have, err := userVersion(ctx, tx)
	if err != nil {
		return err
	}
	if have > know {
		return &versionError{have: have, know: know}
	}
	if have >= know {
		return nil
	}
	before, err := foreignKeyViolations(ctx, tx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if have >= m.version {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := foreignKeyCheck(ctx, tx, before); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", know)); err != nil {
		return fmt.Errorf("migrate: set version %d: %w", know, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// foreignKeyViolations counts, by table, the rows that name a parent
// row that does not exist (PRAGMA foreign_key_check).
func foreignKeyViolations(ctx context.Context, tx *sql.Tx) (map[string]int, error) {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return nil, fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return nil, fmt.Errorf("foreign key check: %w", err)
		}
		out[table]++
	}
	return out, rows.Err()
}

// foreignKeyCheck fails when a table has more rows naming a missing
// parent than before (the counts foreignKeyViolations gave before the
// migrations): a migration must not lose a link. Rows left behind
// before, by a run deleted outside hooksim with foreign keys off, do not
// stop an upgrade; they stay as unreachable as they were.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx, before map[string]int) error {
	after, err := foreignKeyViolations(ctx, tx)
	if err != nil {
		return err
	}
	for table, n := range after {
		if n > before[table] {
			return fmt.Errorf("foreign key check: %d rows of %s name a run (or blob) that does not exist, %d before", n, table, before[table])
		}
	}
	return nil
}
