// Command smtpload sends messages to an SMTP server as fast as it takes
// them, from several connections at once, and prints the messages per
// second: the load generator of bench/smtp-ratio.sh.
//
//	go run ./bench/smtpload -addr 127.0.0.1:2525 -c 8 -n 200 -per 10
package main

import (
	"flag"
	"fmt"
	"io"
	"net/smtp"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const message = "From: John <john@example.org>\r\nTo: bill@example.org\r\nSubject: load\r\n\r\nHello from smtpload.\r\n"

func main() {
	addr := flag.String("addr", "127.0.0.1:2525", "the SMTP server")
	conc := flag.Int("c", 8, "connections at once")
	total := flag.Int("n", 200, "connections in all")
	per := flag.Int("per", 10, "messages per connection")
	flag.Parse()
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*total) {
				if err := session(*addr, *per); err != nil {
					if failed.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "smtpload:", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	msgs := (*total - int(failed.Load())) * *per
	fmt.Printf("%d messages in %.3f s: %.1f messages/s (%d connections failed)\n", msgs, d.Seconds(), float64(msgs)/d.Seconds(), failed.Load())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

// session sends per messages on one connection.
func session(addr string, per int) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		return err
	}
	for range per {
		if err := c.Mail("john@example.org"); err != nil {
			return err
		}
		if err := c.Rcpt("bill@example.org"); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		io.WriteString(w, message)
		if err := w.Close(); err != nil {
			return err
		}
	}
	return c.Quit()
}
