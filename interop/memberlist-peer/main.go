// memberlist-peer runs one real HashiCorp memberlist node so that Sappers' gossip layer can be
// tested against it. It prints one JSON object per line on stdout:
//
//	{"type":"ready","name":...,"addr":...,"port":...}
//	{"type":"join"|"leave"|"update","node":{"name","addr","port","state","meta"}}
//	{"type":"members","members":[{"name","addr","port","state"}...]}   (every -interval)
//	{"type":"user","data":<base64>}                                    (a user message arrived)
//	{"type":"left"} / {"type":"error","error":...}
//
// -drop P drops each outgoing UDP datagram with probability P and -drop-streams Q fails each
// outgoing TCP connection attempt with probability Q (the command "drop P [Q]" sets both): a
// simulated lossy network for benchmarks, without root.
//
// A state is "alive" for a live member (memberlist 0.2.2 does not expose suspicion) and "gone"
// once memberlist reported the node dead or left (0.2.2 does not tell which).
//
// Commands on stdin, one a line: "members", "leave", "join host:port[,host:port]",
// "install <b64 key>", "use <b64 key>", "remove <b64 key>", "meta <text>", "send <name> <text>",
// "drop <probability> [<stream probability>]".
// SIGTERM or SIGINT leaves the cluster gracefully, shuts down and exits 0.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"
)

var (
	ring  *memberlist.Keyring
	outMu sync.Mutex
	out   = bufio.NewWriter(os.Stdout)
)

func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	outMu.Lock()
	defer outMu.Unlock()
	out.Write(b)
	out.WriteByte('\n')
	out.Flush()
}

type nodeJSON struct {
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	Port  int    `json:"port"`
	State string `json:"state"`
	Meta  string `json:"meta,omitempty"`
}

func stateName(s memberlist.NodeStateType) string {
	switch s {
	case memberlist.StateAlive:
		return "alive"
	case memberlist.StateSuspect:
		return "suspect"
	case memberlist.StateDead:
		return "dead"
	case memberlist.StateLeft:
		return "left"
	}
	return fmt.Sprintf("state-%d", int(s))
}

// toJSON describes a node; its state is "alive" for every node Members() lists (alive or
// suspect: memberlist 0.2.2 does not expose which).
func toJSON(n *memberlist.Node) nodeJSON {
	return nodeJSON{Name: n.Name, Addr: n.Addr.String(), Port: int(n.Port), State: stateName(n.State), Meta: string(n.Meta)}
}

// events remembers the last state each node was reported in, so that the periodic member list
// can show dead and left nodes too (memberlist's Members() lists only live ones).
type events struct {
	mu    sync.Mutex
	nodes map[string]nodeJSON
}

func (e *events) record(kind string, n *memberlist.Node) {
	j := toJSON(n)
	if kind == "leave" {
		// memberlist 0.2.2 never fills Node.State (nodeState.State shadows it), so a leave
		// event cannot tell a failed node from one that left: both are reported as "gone".
		j.State = "gone"
	}
	e.mu.Lock()
	e.nodes[n.Name] = j
	e.mu.Unlock()
	emit(map[string]interface{}{"type": kind, "node": j})
}

func (e *events) NotifyJoin(n *memberlist.Node)   { e.record("join", n) }
func (e *events) NotifyLeave(n *memberlist.Node)  { e.record("leave", n) }
func (e *events) NotifyUpdate(n *memberlist.Node) { e.record("update", n) }

type delegate struct {
	mu        sync.Mutex
	meta      []byte
	userState []byte
}

func (d *delegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.meta) > limit {
		return d.meta[:limit]
	}
	return d.meta
}

func (d *delegate) NotifyMsg(b []byte) {
	emit(map[string]interface{}{"type": "user", "data": base64.StdEncoding.EncodeToString(b)})
}

func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }

func (d *delegate) LocalState(join bool) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.userState
}

func (d *delegate) MergeRemoteState(buf []byte, join bool) {
	emit(map[string]interface{}{"type": "remote-state", "join": join, "data": base64.StdEncoding.EncodeToString(buf)})
}

func (e *events) members(m *memberlist.Memberlist) {
	list := map[string]nodeJSON{}
	e.mu.Lock()
	for name, n := range e.nodes {
		if n.State == "gone" {
			list[name] = n
		}
	}
	e.mu.Unlock()
	for _, n := range m.Members() {
		list[n.Name] = toJSON(n)
	}
	names := make([]string, 0, len(list))
	for name := range list {
		names = append(names, name)
	}
	sort.Strings(names)
	all := make([]nodeJSON, 0, len(names))
	for _, name := range names {
		all = append(all, list[name])
	}
	emit(map[string]interface{}{"type": "members", "members": all})
}

func decodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if err := memberlist.ValidateKey(k); err != nil {
		return nil, err
	}
	return k, nil
}

func fail(format string, args ...interface{}) {
	emit(map[string]interface{}{"type": "error", "error": fmt.Sprintf(format, args...)})
	os.Exit(2)
}

func main() {
	name := flag.String("name", "", "node name (required)")
	bind := flag.String("bind", "127.0.0.1", "bind address (loopback only in tests)")
	port := flag.Int("port", 0, "bind port for UDP and TCP (required)")
	join := flag.String("join", "", "comma-separated host:port list to join")
	key := flag.String("key", "", "base64 encryption key (16, 24 or 32 bytes); empty disables encryption")
	profile := flag.String("config", "local", "memberlist defaults: lan or local")
	compression := flag.Bool("compression", true, "enable LZW compression of outgoing messages")
	protocol := flag.Int("protocol", -1, "memberlist protocol version to speak (default: the profile's)")
	interval := flag.Duration("interval", time.Second, "how often to print the member list (0 disables)")
	meta := flag.String("meta", "", "node metadata")
	userState := flag.String("user-state", "", "delegate local state sent in push/pull")
	verbose := flag.Bool("log", false, "write memberlist's own log to stderr")
	drop := flag.Float64("drop", 0, "probability of dropping each outgoing UDP datagram (simulated loss)")
	dropStreams := flag.Float64("drop-streams", 0, "probability that each outgoing TCP connection attempt fails (simulated loss)")
	flag.Parse()

	if *name == "" || *port <= 0 {
		fail("-name and -port are required")
	}

	var conf *memberlist.Config
	switch *profile {
	case "lan":
		conf = memberlist.DefaultLANConfig()
	case "local":
		conf = memberlist.DefaultLocalConfig()
	default:
		fail("unknown -config %q (lan or local)", *profile)
	}
	conf.Name = *name
	conf.BindAddr = *bind
	conf.BindPort = *port
	conf.AdvertiseAddr = *bind
	conf.AdvertisePort = *port
	conf.EnableCompression = *compression
	if *protocol >= 0 {
		conf.ProtocolVersion = uint8(*protocol)
	}
	var logOut io.Writer = ioutil.Discard
	if *verbose {
		logOut = os.Stderr
	}
	conf.LogOutput = nil
	conf.Logger = log.New(logOut, "", log.LstdFlags|log.Lmicroseconds)
	if *key != "" {
		k, err := decodeKey(*key)
		if err != nil {
			fail("bad -key: %v", err)
		}
		ring, err = memberlist.NewKeyring(nil, k)
		if err != nil {
			fail("keyring: %v", err)
		}
		conf.Keyring = ring
	}
	if *drop < 0 || *drop >= 1 || *dropStreams < 0 || *dropStreams >= 1 {
		fail("bad -drop or -drop-streams: want probabilities in [0, 1)")
	}
	lossy, err := newLossyTransport(*bind, *port, *drop, *dropStreams, conf)
	if err != nil {
		fail("transport: %v", err)
	}
	conf.Transport = lossy
	ev := &events{nodes: map[string]nodeJSON{}}
	del := &delegate{meta: []byte(*meta), userState: []byte(*userState)}
	if *userState == "" {
		del.userState = nil
	}
	conf.Events = ev
	conf.Delegate = del

	m, err := memberlist.Create(conf)
	if err != nil {
		fail("create: %v", err)
	}
	emit(map[string]interface{}{"type": "ready", "name": *name, "addr": *bind, "port": *port})

	if *join != "" {
		n, err := m.Join(strings.Split(*join, ","))
		emit(map[string]interface{}{"type": "joined", "contacted": n, "error": errText(err)})
	}

	done := make(chan struct{})
	var once sync.Once
	leave := func() {
		once.Do(func() {
			err := m.Leave(3 * time.Second)
			emit(map[string]interface{}{"type": "left", "error": errText(err)})
			m.Shutdown()
			close(done)
		})
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		leave()
	}()

	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			command(m, ev, del, lossy, strings.TrimSpace(sc.Text()), leave)
		}
	}()

	var tick <-chan time.Time
	if *interval > 0 {
		t := time.NewTicker(*interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-tick:
			ev.members(m)
		case <-done:
			os.Exit(0)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func command(m *memberlist.Memberlist, ev *events, del *delegate, lossy *lossyTransport, line string, leave func()) {
	fields := strings.SplitN(line, " ", 3)
	reply := func(err error) {
		emit(map[string]interface{}{"type": "result", "command": fields[0], "error": errText(err)})
	}
	switch fields[0] {
	case "":
		return
	case "members":
		ev.members(m)
	case "drop":
		// drop <datagram probability> [<stream probability>]
		var p, ps float64
		n, err := fmt.Sscanf(strings.TrimPrefix(line, "drop "), "%g %g", &p, &ps)
		if n >= 1 {
			err = nil
		}
		if err == nil && (p < 0 || p >= 1 || ps < 0 || ps >= 1) {
			err = fmt.Errorf("drop: want probabilities in [0, 1), got %v %v", p, ps)
		}
		if err == nil {
			lossy.setDrop(p, ps)
		}
		reply(err)
	case "leave":
		go leave()
	case "join":
		if len(fields) < 2 {
			reply(fmt.Errorf("join needs addresses"))
			return
		}
		_, err := m.Join(strings.Split(fields[1], ","))
		reply(err)
	case "install", "use", "remove":
		if ring == nil || len(fields) < 2 {
			reply(fmt.Errorf("no keyring or no key"))
			return
		}
		k, err := decodeKey(fields[1])
		if err != nil {
			reply(err)
			return
		}
		switch fields[0] {
		case "install":
			err = ring.AddKey(k)
		case "use":
			err = ring.UseKey(k)
		default:
			err = ring.RemoveKey(k)
		}
		reply(err)
	case "meta":
		text := ""
		if len(fields) > 1 {
			text = strings.TrimPrefix(line, "meta ")
		}
		del.mu.Lock()
		del.meta = []byte(text)
		del.mu.Unlock()
		reply(m.UpdateNode(2 * time.Second))
	case "send":
		if len(fields) < 3 {
			reply(fmt.Errorf("send needs a node name and text"))
			return
		}
		for _, n := range m.Members() {
			if n.Name == fields[1] {
				reply(m.SendBestEffort(n, []byte(fields[2])))
				return
			}
		}
		reply(fmt.Errorf("no member %s", fields[1]))
	default:
		reply(fmt.Errorf("unknown command %q", fields[0]))
	}
}
