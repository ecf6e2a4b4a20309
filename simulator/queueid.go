package simulator

import (
	"strconv"
	"sync"
	"time"
)

// snowflakeEpoch is Stalwart's id epoch (2021-09-22), in Unix seconds.
const snowflakeEpoch = 1632280000

// QueueIDs generates queue ids the way Stalwart's snowflake generator
// does: milliseconds since its epoch shifted left by 21 bits, a 12-bit
// sequence, a 9-bit node id. Printed in lower-case hex without padding
// they have 15 digits for today's dates.
type QueueIDs struct {
	mu     sync.Mutex
	now    func() time.Time
	node   uint64
	lastMS uint64
	seq    uint64
}

// NewQueueIDs returns a generator reading the clock now (time.Now when nil).
func NewQueueIDs(now func() time.Time, node uint16) *QueueIDs {
	if now == nil {
		now = time.Now
	}
	return &QueueIDs{now: now, node: uint64(node) & 0x1ff}
}

// Next returns a new id, unique for this generator.
func (g *QueueIDs) Next() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := uint64(max(0, g.now().UnixMilli()-snowflakeEpoch*1000))
	if ms <= g.lastMS {
		ms = g.lastMS
		g.seq++
		if g.seq > 0xfff {
			ms++
			g.seq = 0
		}
	} else {
		g.seq = 0
	}
	g.lastMS = ms
	return ms<<21 | g.seq<<9 | g.node
}

// Hex formats a queue id as Stalwart does ({:x}).
func Hex(id uint64) string { return strconv.FormatUint(id, 16) }
