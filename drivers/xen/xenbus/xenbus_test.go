package xenbus

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/unikgen/unikgen/drivers/xen/xenstore"
	"github.com/unikgen/unikgen/drivers/xen/xentest"
)

// fakeBus sets the xenstore client up with a fake daemon of domain 1 whose backend the test
// steers (xentest.Bus).
type fakeBus struct{ *xentest.Bus }

func newFakeBus(t *testing.T) fakeBus {
	t.Helper()
	b := fakeBus{xentest.NewBus()}
	xenstore.Setup(b.Addr(), 1, b.Notify, b.Wait)
	oldPoll, oldDispatch := PollInterval, DispatchInterval
	PollInterval, DispatchInterval = 5*time.Millisecond, time.Millisecond
	t.Cleanup(func() {
		b.SetStep(nil)
		Reset()
		PollInterval, DispatchInterval = oldPoll, oldDispatch
		xenstore.Setup(0, 0, nil, nil)
	})
	return b
}

func (b fakeBus) do(f func(s *xentest.Store)) { b.Do(f) }

func (b fakeBus) addDevice(kind, id string, st State) string { return b.AddDevice(kind, id, int(st)) }

func TestDevices(t *testing.T) {
	b := newFakeBus(t)
	if ids, err := Devices("vif"); err != nil || len(ids) != 0 {
		t.Fatalf("Devices(vif) with none = %q, %v; want none", ids, err)
	}
	for _, id := range []string{"51728", "768", "51712"} {
		b.addDevice("vbd", id, InitWait)
	}
	b.addDevice("vif", "0", InitWait)
	ids, err := Devices("vbd")
	if err != nil || strings.Join(ids, ",") != "768,51712,51728" {
		t.Fatalf("Devices(vbd) = %q, %v; want 768,51712,51728", ids, err)
	}
	if ids, err := Devices("vif"); err != nil || strings.Join(ids, ",") != "0" {
		t.Fatalf("Devices(vif) = %q, %v", ids, err)
	}
}

func TestCanSwitch(t *testing.T) {
	ok := [][2]State{
		{Unknown, Initialising}, {Initialising, Initialised}, {Initialising, Connected},
		{Initialised, Connected}, {Connected, Closing}, {Closing, Closed}, {Connected, Closed},
		{Initialising, Closing}, {Closed, Initialising},
	}
	bad := [][2]State{
		{Connected, Initialised}, {Connected, Initialising}, {Closing, Connected},
		{Closed, Connected}, {Closed, Closing}, {Initialising, InitWait}, {Initialised, Initialised},
		{Connected, Reconfiguring},
	}
	for _, c := range ok {
		if !CanSwitch(c[0], c[1]) {
			t.Errorf("CanSwitch(%v, %v) = false, want true", c[0], c[1])
		}
	}
	for _, c := range bad {
		if CanSwitch(c[0], c[1]) {
			t.Errorf("CanSwitch(%v, %v) = true, want false", c[0], c[1])
		}
	}
}

func TestOpenErrors(t *testing.T) {
	b := newFakeBus(t)
	if _, err := Open("vif", "0"); !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), "device/vif/0/backend") {
		t.Errorf("Open of a missing device: %v; want ENOENT naming device/vif/0/backend", err)
	}
	b.do(func(s *xentest.Store) {
		s.Set("device/vif/1/backend", "backend/vif/1/1")
		s.Set("device/vif/2/backend", "/local/domain/0/backend/vif/1/2")
		s.Set("device/vif/2/backend-id", "zero")
	})
	if _, err := Open("vif", "1"); err == nil || !strings.Contains(err.Error(), "not an absolute") {
		t.Errorf("relative backend path: %v", err)
	}
	if _, err := Open("vif", "2"); err == nil || !strings.Contains(err.Error(), `device/vif/2/backend-id is "zero"`) {
		t.Errorf("bad backend-id: %v", err)
	}
}

// TestHandshake runs a blkfront-style handshake against a backend that follows the frontend:
// InitWait until the frontend is Initialised (with its ring-ref), then Connected.
func TestHandshake(t *testing.T) {
	b := newFakeBus(t)
	be := b.addDevice("vbd", "51712", Initialising)
	var sawRingRef string
	b.SetStep(func(s *xentest.Store) {
		fs, _ := s.Get("device/vbd/51712/state")
		bs, _ := s.Get(be + "/state")
		switch {
		case bs == "1":
			s.Set(be+"/state", "2") // the hotplug script ran
		case bs == "2" && fs == "3":
			sawRingRef, _ = s.Get("device/vbd/51712/ring-ref")
			s.Set(be+"/sectors", "2048")
			s.Set(be+"/state", "4")
		}
	})
	f, err := Open("vbd", "51712")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Backend != be || f.BackendID != 0 || f.State() != Initialising {
		t.Fatalf("frontend %+v", f)
	}
	if st, err := f.WaitBackend(5*time.Second, InitWait); err != nil || st != InitWait {
		t.Fatalf("WaitBackend(InitWait) = %v, %v", st, err)
	}
	if err := f.Publish(Initialised, "ring-ref", "8", "event-channel", "5"); err != nil {
		t.Fatal(err)
	}
	if st, err := f.WaitBackend(5*time.Second, Connected); err != nil || st != Connected {
		t.Fatalf("WaitBackend(Connected) = %v, %v", st, err)
	}
	if sawRingRef != "8" {
		t.Errorf("the backend saw ring-ref %q with state Initialised, want 8", sawRingRef)
	}
	if n, err := f.ReadBackendUint("sectors", 1<<62, 0); err != nil || n != 2048 {
		t.Errorf("sectors = %d, %v", n, err)
	}
	if n, err := f.ReadBackendUint("missing", 10, 7); err != nil || n != 7 {
		t.Errorf("missing key = %d, %v; want the default 7", n, err)
	}
	if err := f.Switch(Connected); err != nil {
		t.Fatal(err)
	}
	if err := f.Switch(Initialised); err == nil || !strings.Contains(err.Error(), "cannot go from Connected (4) to Initialised (3)") {
		t.Errorf("backward switch: %v", err)
	}
	var st string
	b.do(func(s *xentest.Store) { st, _ = s.Get("device/vbd/51712/state") })
	if st != "4" {
		t.Errorf("state key %q, want 4", st)
	}
}

// TestWatchWakes checks that a watch event, not the poll interval, ends a wait: with a poll
// interval of a minute the backend's change must still be seen at once.
func TestWatchWakes(t *testing.T) {
	b := newFakeBus(t)
	be := b.addDevice("vif", "0", InitWait)
	f, err := Open("vif", "0")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	PollInterval = time.Minute
	go func() {
		time.Sleep(20 * time.Millisecond)
		b.do(func(s *xentest.Store) { s.Set(be+"/state", "4") })
		// The daemon delivers the event when the client next runs a hook: the dispatcher's
		// polls run none when the ring is empty, so make a request, as other code would.
		xenstore.Read("domid")
	}()
	start := time.Now()
	if st, err := f.WaitBackend(30*time.Second, Connected); err != nil || st != Connected {
		t.Fatalf("WaitBackend = %v, %v", st, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the wait took %v: the watch event did not wake it", d)
	}
}

func TestWaitBackendErrors(t *testing.T) {
	b := newFakeBus(t)
	be := b.addDevice("vif", "0", Initialising)
	f, err := Open("vif", "0")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.WaitBackend(30*time.Millisecond, InitWait)
	var se *StateError
	if !errors.As(err, &se) || se.Timeout == 0 || se.State != Initialising {
		t.Fatalf("WaitBackend with a backend that stays: %v", err)
	}
	if !strings.Contains(err.Error(), "is still Initialising (1) after 30ms, waiting for [InitWait (2)]") {
		t.Errorf("message: %v", err)
	}
	b.do(func(s *xentest.Store) { s.Set(be+"/state", "5") })
	_, err = f.WaitBackend(time.Second, Connected)
	if !errors.As(err, &se) || se.Timeout != 0 || se.State != Closing {
		t.Fatalf("WaitBackend with a closing backend: %v", err)
	}
	if !strings.Contains(err.Error(), "went to Closing (5)") {
		t.Errorf("message: %v", err)
	}
	// A backend directory removed by the toolstack reads as Closed.
	b.do(func(s *xentest.Store) { s.Set(be+"/state", "4") })
	xenstore.Rm(be)
	if st, err := f.BackendState(); err != nil || st != Closed {
		t.Errorf("BackendState of a removed backend = %v, %v; want Closed", st, err)
	}
	b.do(func(s *xentest.Store) { s.Set(be+"/state", "x") })
	if _, err := f.BackendState(); err == nil || !strings.Contains(err.Error(), `not a xenbus state: "x"`) {
		t.Errorf("bad state value: %v", err)
	}
}

// TestDisconnect: the backend closes (xl network-detach); the frontend answers Closing, then
// Closed once the backend is Closed.
func TestDisconnect(t *testing.T) {
	b := newFakeBus(t)
	be := b.addDevice("vif", "0", Connected)
	f, err := Open("vif", "0")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Switch(Connected); err != nil {
		t.Fatal(err)
	}
	var seen []string
	b.SetStep(func(s *xentest.Store) {
		fs, _ := s.Get("device/vif/0/state")
		bs, _ := s.Get(be + "/state")
		if len(seen) == 0 || seen[len(seen)-1] != fs {
			seen = append(seen, fs)
		}
		if fs == "5" && bs == "5" {
			s.Set(be+"/state", "6")
		}
	})
	b.do(func(s *xentest.Store) { s.Set(be+"/state", "5") })
	if err := f.Disconnect(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if f.State() != Closed {
		t.Errorf("frontend state %v", f.State())
	}
	var got string
	b.do(func(*xentest.Store) { got = strings.Join(seen, ",") })
	if !strings.HasSuffix(got, "5,6") {
		t.Errorf("frontend states seen by the backend: %s, want ...,5,6", got)
	}
}
