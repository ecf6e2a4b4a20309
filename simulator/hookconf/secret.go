package hookconf

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unicode"
	"unicode/utf8"
)

// secretFromEnv resolves an EnvironmentVariable secret as Stalwart does:
// the name is trimmed, and an unset or empty variable is an error.
func secretFromEnv(env Env, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("variableName is empty")
	}
	v, ok := env.LookupEnv(name)
	if !ok {
		return "", fmt.Errorf("environment variable %q is not set", name)
	}
	if v == "" {
		return "", fmt.Errorf("environment variable %q is empty", name)
	}
	return v, nil
}

// secretFromFile resolves a File secret as Stalwart does: the path is
// trimmed, the file must be UTF-8, trailing whitespace is dropped and an
// empty result is an error.
func secretFromFile(env Env, path string) (string, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return "", fmt.Errorf("filePath is empty")
	}
	data, err := env.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("secret file %q does not exist", path)
		}
		return "", fmt.Errorf("cannot read secret file %q: %v", path, err)
	}
	if !utf8.Valid(data) {
		return "", fmt.Errorf("secret file %q is not valid UTF-8", path)
	}
	s := strings.TrimRightFunc(string(data), unicode.IsSpace)
	if s == "" {
		return "", fmt.Errorf("secret file %q is empty", path)
	}
	return s, nil
}

// checkBearerToken refuses tokens that cannot go into an HTTP header:
// Stalwart builds "Bearer <token>" and unwraps the header parse, so such a
// token would not work there either.
func checkBearerToken(token string) error {
	for i := 0; i < len(token); i++ {
		if c := token[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return fmt.Errorf("the token contains the control character %q, which cannot be sent in an Authorization header", rune(c))
		}
	}
	return nil
}

// notLoaded is appended to errors that stop Stalwart from loading a hook.
func notLoaded(id string) string {
	return fmt.Sprintf(" (Stalwart would not load hook %q)", id)
}
