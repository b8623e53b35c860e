// wire-fixtures is Sappers' Go oracle for memberlist 0.2.2's wire format. It is our own
// program: it mirrors memberlist's message structs (same field names, types and codec tags,
// which is all go-msgpack's encoding depends on) and drives the real memberlist library over
// loopback to record the bytes it really sends.
//
//	wire-fixtures gen      print a JSON fixture document (msgpack encodings, LZW streams,
//	                       and recorded memberlist traffic) on stdout
//	wire-fixtures serve    answer JSON requests, one a line on stdin, one a line on stdout:
//	  {"op":"encode","type":T,"value":V}     -> {"hex":...}         Go's encoding of V as T
//	  {"op":"decode","type":T,"hex":H}       -> {"value":V,"hex":H2} Go's decoding and re-encoding
//	  {"op":"lzw-compress","hex":H}          -> {"hex":...}
//	  {"op":"lzw-decompress","hex":H}        -> {"hex":...} or {"error":...}
//	  {"op":"crc32","hex":H}                 -> {"crc":N}
//
// Byte fields travel as base64 in JSON, as Go's encoding/json writes []byte (and []uint8).
package main

import (
	"bufio"
	"bytes"
	"compress/lzw"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"io/ioutil"
	"log"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-msgpack/codec"
	"github.com/hashicorp/memberlist"
)

// Mirrors of memberlist 0.2.2's message structs.
type ping struct {
	SeqNo      uint32
	Node       string
	SourceAddr []byte `codec:",omitempty"`
	SourcePort uint16 `codec:",omitempty"`
	SourceNode string `codec:",omitempty"`
}

type indirectPingReq struct {
	SeqNo      uint32
	Target     []byte
	Port       uint16
	Node       string
	Nack       bool
	SourceAddr []byte `codec:",omitempty"`
	SourcePort uint16 `codec:",omitempty"`
	SourceNode string `codec:",omitempty"`
}

type ackResp struct {
	SeqNo   uint32
	Payload []byte
}

type nackResp struct {
	SeqNo uint32
}

type errResp struct {
	Error string
}

type suspect struct {
	Incarnation uint32
	Node        string
	From        string
}

type alive struct {
	Incarnation uint32
	Node        string
	Addr        []byte
	Port        uint16
	Meta        []byte
	Vsn         []uint8
}

type dead struct {
	Incarnation uint32
	Node        string
	From        string
}

type pushPullHeader struct {
	Nodes        int
	UserStateLen int
	Join         bool
}

type userMsgHeader struct {
	UserMsgLen int
}

type pushNodeState struct {
	Name        string
	Addr        []byte
	Port        uint16
	Meta        []byte
	Incarnation uint32
	State       int
	Vsn         []uint8
}

type compress struct {
	Algo uint8
	Buf  []byte
}

func newValue(t string) (interface{}, error) {
	switch t {
	case "ping":
		return &ping{}, nil
	case "indirectPing":
		return &indirectPingReq{}, nil
	case "ackResp":
		return &ackResp{}, nil
	case "nackResp":
		return &nackResp{}, nil
	case "err":
		return &errResp{}, nil
	case "suspect":
		return &suspect{}, nil
	case "alive":
		return &alive{}, nil
	case "dead":
		return &dead{}, nil
	case "pushPullHeader":
		return &pushPullHeader{}, nil
	case "userMsgHeader":
		return &userMsgHeader{}, nil
	case "pushNodeState":
		return &pushNodeState{}, nil
	case "compress":
		return &compress{}, nil
	}
	return nil, fmt.Errorf("unknown type %q", t)
}

func mpEncode(v interface{}) ([]byte, error) {
	var buf bytes.Buffer
	hd := codec.MsgpackHandle{}
	err := codec.NewEncoder(&buf, &hd).Encode(v)
	return buf.Bytes(), err
}

func mpDecode(b []byte, v interface{}) error {
	hd := codec.MsgpackHandle{}
	return codec.NewDecoder(bytes.NewReader(b), &hd).Decode(v)
}

func lzwCompress(in []byte) []byte {
	var buf bytes.Buffer
	w := lzw.NewWriter(&buf, lzw.LSB, 8)
	w.Write(in)
	w.Close()
	return buf.Bytes()
}

func lzwDecompress(in []byte) ([]byte, error) {
	r := lzw.NewReader(bytes.NewReader(in), lzw.LSB, 8)
	defer r.Close()
	var out bytes.Buffer
	_, err := io.Copy(&out, r)
	return out.Bytes(), err
}

type msgFixture struct {
	Name  string      `json:"name"`
	Type  string      `json:"type"`
	Value interface{} `json:"value"`
	Hex   string      `json:"hex"`
}

type lzwFixture struct {
	Name   string `json:"name"`
	Input  string `json:"input"`
	Output string `json:"output"`
}

func repeat(s string, n int) string {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(s)
	}
	return b.String()
}

func bytesOf(n int, f func(i int) byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = f(i)
	}
	return b
}

func msgFixtures() ([]msgFixture, error) {
	ip4 := []byte{127, 0, 0, 1}
	ip6 := net.ParseIP("fd00::1")
	vsn := []uint8{1, 5, 2, 0, 0, 0}
	cases := []struct {
		name string
		typ  string
		v    interface{}
	}{
		{"ping-minimal", "ping", &ping{SeqNo: 1, Node: "a"}},
		{"ping-full", "ping", &ping{SeqNo: 4294967295, Node: "node-b", SourceAddr: ip4, SourcePort: 7946, SourceNode: "node-a"}},
		{"ping-empty-node", "ping", &ping{SeqNo: 128}},
		{"ping-port-255", "ping", &ping{SeqNo: 255, Node: "n", SourceAddr: ip6, SourcePort: 255, SourceNode: "s"}},
		{"indirect-ping", "indirectPing", &indirectPingReq{SeqNo: 65536, Target: ip4, Port: 65535, Node: "target", Nack: true, SourceAddr: ip4, SourcePort: 1024, SourceNode: "src"}},
		{"indirect-ping-bare", "indirectPing", &indirectPingReq{SeqNo: 7, Target: ip6, Port: 80, Node: "t"}},
		{"ack-nil-payload", "ackResp", &ackResp{SeqNo: 9}},
		{"ack-empty-payload", "ackResp", &ackResp{SeqNo: 10, Payload: []byte{}}},
		{"ack-payload-31", "ackResp", &ackResp{SeqNo: 127, Payload: bytesOf(31, func(i int) byte { return byte(i) })}},
		{"ack-payload-32", "ackResp", &ackResp{SeqNo: 65535, Payload: bytesOf(32, func(i int) byte { return byte(255 - i) })}},
		{"ack-payload-300", "ackResp", &ackResp{SeqNo: 65537, Payload: bytesOf(300, func(i int) byte { return byte(i * 7) })}},
		{"nack", "nackResp", &nackResp{SeqNo: 4294967294}},
		{"err", "err", &errResp{Error: "Encryption is configured but remote state is not encrypted"}},
		{"err-empty", "err", &errResp{}},
		{"suspect", "suspect", &suspect{Incarnation: 3, Node: "b", From: "a"}},
		{"alive", "alive", &alive{Incarnation: 1, Node: "node-1", Addr: ip4, Port: 7946, Meta: []byte("role=web"), Vsn: vsn}},
		{"alive-nil-meta", "alive", &alive{Incarnation: 200, Node: "n", Addr: ip4, Port: 1, Vsn: vsn}},
		{"alive-ipv6-meta-512", "alive", &alive{Incarnation: 4294967295, Node: repeat("x", 40), Addr: ip6, Port: 65535, Meta: bytesOf(512, func(i int) byte { return byte(i % 251) }), Vsn: vsn}},
		{"alive-utf8-name", "alive", &alive{Incarnation: 2, Node: "nœud-ü", Addr: ip4, Port: 7946, Meta: []byte{}, Vsn: []uint8{}}},
		{"dead", "dead", &dead{Incarnation: 5, Node: "c", From: "a"}},
		{"dead-left", "dead", &dead{Incarnation: 6, Node: "c", From: "c"}},
		{"push-pull-header", "pushPullHeader", &pushPullHeader{Nodes: 3, UserStateLen: 0, Join: true}},
		{"push-pull-header-big", "pushPullHeader", &pushPullHeader{Nodes: 300, UserStateLen: 70000, Join: false}},
		{"user-msg-header", "userMsgHeader", &userMsgHeader{UserMsgLen: 12}},
		{"push-node-state", "pushNodeState", &pushNodeState{Name: "node-1", Addr: ip4, Port: 7946, Meta: []byte("m"), Incarnation: 17, State: 0, Vsn: vsn}},
		{"push-node-state-left", "pushNodeState", &pushNodeState{Name: "node-2", Addr: ip6, Port: 8000, Incarnation: 300, State: 3, Vsn: vsn}},
		{"compress", "compress", &compress{Algo: 0, Buf: []byte{1, 2, 3}}},
	}
	out := make([]msgFixture, 0, len(cases))
	for _, c := range cases {
		b, err := mpEncode(c.v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", c.name, err)
		}
		out = append(out, msgFixture{Name: c.name, Type: c.typ, Value: c.v, Hex: hex.EncodeToString(b)})
	}
	return out, nil
}

func lzwFixtures() []lzwFixture {
	inputs := []struct {
		name string
		in   []byte
	}{
		{"empty", []byte{}},
		{"one-byte", []byte{0x42}},
		{"abc-repeat", []byte(repeat("abcabcabc", 20))},
		{"text", []byte("TOBEORNOTTOBEORTOBEORNOT#")},
		{"all-bytes", bytesOf(256, func(i int) byte { return byte(i) })},
		{"zeros-5000", make([]byte, 5000)},
		{"noise-9000", bytesOf(9000, func(i int) byte { return byte((i*2654435761)>>13 ^ i*31) })},
		{"mixed-12000", bytesOf(12000, func(i int) byte { return byte((i / 7) % 97 * (i % 3)) })},
	}
	out := make([]lzwFixture, 0, len(inputs))
	for _, c := range inputs {
		out = append(out, lzwFixture{Name: c.name, Input: hex.EncodeToString(c.in), Output: hex.EncodeToString(lzwCompress(c.in))})
	}
	return out
}

// --- recording real memberlist traffic ---

type record struct {
	Kind string `json:"kind"` // "packet" or "stream"
	From string `json:"from"` // sending node's name
	To   string `json:"to"`   // destination address
	Hex  string `json:"hex"`  // packet bytes, or bytes the dialer wrote
	Resp string `json:"resp,omitempty"`
}

type recorder struct {
	mu      sync.Mutex
	records []*record
}

func (r *recorder) add(rec *record) {
	r.mu.Lock()
	r.records = append(r.records, rec)
	r.mu.Unlock()
}

type recordingTransport struct {
	*memberlist.NetTransport
	name string
	rec  *recorder
}

func (t *recordingTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

func (t *recordingTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	t.rec.add(&record{Kind: "packet", From: t.name, To: a.Addr, Hex: hex.EncodeToString(b)})
	return t.NetTransport.WriteToAddress(b, a)
}

func (t *recordingTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

func (t *recordingTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	c, err := t.NetTransport.DialAddressTimeout(a, timeout)
	if err != nil {
		return nil, err
	}
	rec := &record{Kind: "stream", From: t.name, To: a.Addr}
	t.rec.add(rec)
	return &recordingConn{Conn: c, rec: rec, mu: &t.rec.mu}, nil
}

type recordingConn struct {
	net.Conn
	rec *record
	mu  *sync.Mutex
	w   []byte
	r   []byte
}

func (c *recordingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	c.w = append(c.w, b[:n]...)
	c.rec.Hex = hex.EncodeToString(c.w)
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.r = append(c.r, b[:n]...)
	c.rec.Resp = hex.EncodeToString(c.r)
	c.mu.Unlock()
	return n, err
}

type userDelegate struct{ meta []byte }

func (d *userDelegate) NodeMeta(limit int) []byte                  { return d.meta }
func (d *userDelegate) NotifyMsg([]byte)                           {}
func (d *userDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *userDelegate) LocalState(join bool) []byte                { return []byte("state-" + string(d.meta)) }
func (d *userDelegate) MergeRemoteState(buf []byte, join bool)     {}

type scenario struct {
	Name        string    `json:"name"`
	Keys        []string  `json:"keys"` // hex; the first is primary
	Protocol    int       `json:"protocol"`
	Compression bool      `json:"compression"`
	Nodes       []string  `json:"nodes"`
	Records     []*record `json:"records"`
}

func runScenario(name string, key []byte, protocol int, compression bool) (*scenario, error) {
	rec := &recorder{}
	names := []string{name + "-a", name + "-b"}
	var members []*memberlist.Memberlist
	var addrs []string
	for _, n := range names {
		conf := memberlist.DefaultLocalConfig()
		conf.Name = n
		conf.BindAddr = "127.0.0.1"
		conf.ProtocolVersion = uint8(protocol)
		conf.EnableCompression = compression
		conf.Logger = log.New(ioutil.Discard, "", 0)
		conf.ProbeInterval = 100 * time.Millisecond
		conf.GossipInterval = 50 * time.Millisecond
		conf.Delegate = &userDelegate{meta: []byte(n)}
		if key != nil {
			ring, err := memberlist.NewKeyring(nil, key)
			if err != nil {
				return nil, err
			}
			conf.Keyring = ring
		}
		nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{"127.0.0.1"}, BindPort: 0, Logger: conf.Logger})
		if err != nil {
			return nil, err
		}
		conf.Transport = &recordingTransport{NetTransport: nt, name: n, rec: rec}
		conf.BindPort = nt.GetAutoBindPort()
		conf.AdvertisePort = conf.BindPort
		m, err := memberlist.Create(conf)
		if err != nil {
			return nil, err
		}
		members = append(members, m)
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", conf.BindPort))
	}
	if _, err := members[1].Join([]string{addrs[0]}); err != nil {
		return nil, err
	}
	time.Sleep(600 * time.Millisecond)
	for _, n := range members[0].Members() {
		if n.Name == names[1] {
			members[0].SendBestEffort(n, []byte("hello from a"))
		}
	}
	time.Sleep(300 * time.Millisecond)
	members[1].Leave(time.Second)
	time.Sleep(300 * time.Millisecond)
	for _, m := range members {
		m.Shutdown()
	}
	s := &scenario{Name: name, Protocol: protocol, Compression: compression, Nodes: names}
	if key != nil {
		s.Keys = []string{hex.EncodeToString(key)}
	}
	rec.mu.Lock()
	s.Records = rec.records
	rec.mu.Unlock()
	return s, nil
}

func gen() error {
	msgs, err := msgFixtures()
	if err != nil {
		return err
	}
	doc := map[string]interface{}{
		"generator": "interop/wire-fixtures gen (hashicorp/memberlist 0.2.2, go-msgpack codec.MsgpackHandle{})",
		"messages":  msgs,
		"lzw":       lzwFixtures(),
	}
	var scenarios []*scenario
	for _, sc := range []struct {
		name        string
		key         []byte
		protocol    int
		compression bool
	}{
		{"plain", nil, 5, false},
		{"compressed", nil, 2, true},
		{"enc-v1", bytesOf(16, func(i int) byte { return byte(i + 1) }), 2, true},
		{"enc-v0", bytesOf(32, func(i int) byte { return byte(200 - i) }), 1, false},
		{"enc-aes192", bytesOf(24, func(i int) byte { return byte(i * 3) }), 5, false},
	} {
		s, err := runScenario(sc.name, sc.key, sc.protocol, sc.compression)
		if err != nil {
			return fmt.Errorf("scenario %s: %v", sc.name, err)
		}
		scenarios = append(scenarios, s)
	}
	doc["scenarios"] = scenarios
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	return enc.Encode(doc)
}

type request struct {
	Op    string          `json:"op"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
	Hex   string          `json:"hex"`
}

func serve() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		resp := map[string]interface{}{}
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			resp["error"] = err.Error()
		} else if err := answer(&req, resp); err != nil {
			resp["error"] = err.Error()
		}
		out.Encode(resp)
	}
}

func answer(req *request, resp map[string]interface{}) error {
	raw, err := hex.DecodeString(req.Hex)
	if err != nil {
		return err
	}
	switch req.Op {
	case "encode":
		v, err := newValue(req.Type)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(req.Value, v); err != nil {
			return err
		}
		b, err := mpEncode(v)
		if err != nil {
			return err
		}
		resp["hex"] = hex.EncodeToString(b)
	case "decode":
		v, err := newValue(req.Type)
		if err != nil {
			return err
		}
		if err := mpDecode(raw, v); err != nil {
			return err
		}
		b, err := mpEncode(v)
		if err != nil {
			return err
		}
		resp["value"] = v
		resp["hex"] = hex.EncodeToString(b)
	case "lzw-compress":
		resp["hex"] = hex.EncodeToString(lzwCompress(raw))
	case "lzw-decompress":
		b, err := lzwDecompress(raw)
		if err != nil {
			return err
		}
		resp["hex"] = hex.EncodeToString(b)
	case "crc32":
		resp["crc"] = crc32.ChecksumIEEE(raw)
	default:
		return fmt.Errorf("unknown op %q", req.Op)
	}
	return nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wire-fixtures gen|serve")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "gen":
		if err := gen(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "serve":
		serve()
	default:
		fmt.Fprintln(os.Stderr, "usage: wire-fixtures gen|serve")
		os.Exit(2)
	}
}
