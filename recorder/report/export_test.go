package report

// AppendEscaped is appendEscaped, for the tests.
func AppendEscaped(b, s []byte) []byte { return appendEscaped(b, s) }
