package sessions

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits of what ParseFile reads: a script is text; a message may be as
// large as Stalwart accepts (100 MiB by default) and some more.
const (
	maxScriptBytes  = 16 << 20
	maxMessageBytes = 256 << 20
)

// readRegular reads the regular file at path, refusing anything else (a
// FIFO, a device such as /dev/zero, a folder) and files over limit bytes,
// so that a wrong path can neither hang nor exhaust memory.
func readRegular(path string, limit int64) ([]byte, error) {
	// Stat before opening: opening a FIFO blocks until a writer comes.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, errors.New("is a folder, not a file")
		}
		return nil, fmt.Errorf("is not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("is %d bytes, over the limit of %d", fi.Size(), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read into a buffer of the file's size (and one byte to see a file
	// that grew): a large message is allocated once, not grown by
	// doubling as io.ReadAll does.
	data := make([]byte, 0, fi.Size()+1)
	for int64(len(data)) <= limit {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := f.Read(data[len(data):min(cap(data), int(limit+1))])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("is over the limit of %d bytes", limit)
	}
	return data, nil
}
