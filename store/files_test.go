package store

import "os"

func openFileRW(path string) (*os.File, error) { return os.OpenFile(path, os.O_RDWR, 0) }
