// Command dns is an authoritative DNS server for one zone, on github.com/miekg/dns: the seed
// paper's flagship appliance. It answers A, AAAA, TXT, NS and SOA queries over UDP and TCP, and
// NXDOMAIN for names outside its records.
//
//	go run ./cmd/unikgen run -p 5353:53/udp -p 5353:53 ./examples/dns
//	dig @127.0.0.1 -p 5353 www.unikernel.test
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/miekg/dns"
)

var (
	addr = flag.String("addr", ":53", "listen address (UDP and TCP)")
	zone = flag.String("zone", "unikernel.test.", "the zone served")
)

// records are the zone's data, in zone-file syntax, relative to the zone.
var records = []string{
	"@ 3600 IN SOA ns1 hostmaster 2026120501 7200 3600 1209600 300",
	"@ 3600 IN NS ns1",
	"ns1 3600 IN A 10.0.2.15",
	"www 300 IN A 192.0.2.10",
	"www 300 IN AAAA 2001:db8::10",
	"api 300 IN A 192.0.2.20",
	"api 300 IN A 192.0.2.21",
	"@ 300 IN TXT \"served by a Go unikernel\"",
}

func main() {
	flag.Parse()
	origin := dns.Fqdn(*zone)
	db := map[string][]dns.RR{}
	var soa dns.RR
	for _, s := range records {
		rr, err := dns.NewRR("$ORIGIN " + origin + "\n" + s)
		if err != nil {
			log.Fatalf("record %q: %v", s, err)
		}
		key := strings.ToLower(rr.Header().Name)
		db[key] = append(db[key], rr)
		if rr.Header().Rrtype == dns.TypeSOA {
			soa = rr
		}
	}
	dns.HandleFunc(origin, func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		for _, qq := range q.Question {
			rrs, ok := db[strings.ToLower(qq.Name)]
			if !ok {
				m.Rcode = dns.RcodeNameError
				m.Ns = []dns.RR{soa}
				continue
			}
			for _, rr := range rrs {
				if qq.Qtype == dns.TypeANY || rr.Header().Rrtype == qq.Qtype {
					m.Answer = append(m.Answer, rr)
				}
			}
			if len(m.Answer) == 0 {
				m.Ns = []dns.RR{soa} // the name exists, not with that type: NODATA
			}
		}
		w.WriteMsg(m)
	})
	dns.HandleFunc(".", func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(q, dns.RcodeRefused) // not our zone
		w.WriteMsg(m)
	})
	errc := make(chan error, 2)
	for _, netw := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: *addr, Net: netw}
		go func() { errc <- srv.ListenAndServe() }()
	}
	fmt.Fprintf(os.Stderr, "serving %s on %s (udp, tcp)\n", origin, *addr)
	log.Fatal(<-errc)
}
