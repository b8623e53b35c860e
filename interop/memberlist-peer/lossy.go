package main

import (
	"errors"
	"math/rand"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// lossyTransport is memberlist's own NetTransport with a simulated lossy network in front of
// it: each outgoing datagram is silently dropped with probability drop, and each outgoing TCP
// connection attempt fails with probability dropStreams. It lets benchmarks measure false
// positives under loss without root.
type lossyTransport struct {
	*memberlist.NetTransport
	mu          sync.Mutex
	drop        float64
	dropStreams float64
	rng         *rand.Rand
}

func newLossyTransport(bind string, port int, drop, dropStreams float64, conf *memberlist.Config) (*lossyTransport, error) {
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{bind},
		BindPort:  port,
		Logger:    conf.Logger,
	})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	return &lossyTransport{NetTransport: nt, drop: drop, dropStreams: dropStreams, rng: rng}, nil
}

func (t *lossyTransport) setDrop(datagrams, streams float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.drop = datagrams
	t.dropStreams = streams
}

func (t *lossyTransport) lost() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.drop > 0 && t.rng.Float64() < t.drop
}

func (t *lossyTransport) streamLost() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dropStreams > 0 && t.rng.Float64() < t.dropStreams
}

var errSimulatedLoss = errors.New("simulated loss: connection attempt dropped")

func (t *lossyTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	if t.streamLost() {
		return nil, errSimulatedLoss
	}
	return t.NetTransport.DialTimeout(addr, timeout)
}

func (t *lossyTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if t.streamLost() {
		return nil, errSimulatedLoss
	}
	return t.NetTransport.DialAddressTimeout(a, timeout)
}

// WriteTo pretends the datagram went out when the simulated network drops it.
func (t *lossyTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	if t.lost() {
		return time.Now(), nil
	}
	return t.NetTransport.WriteTo(b, addr)
}

func (t *lossyTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if t.lost() {
		return time.Now(), nil
	}
	return t.NetTransport.WriteToAddress(b, a)
}
