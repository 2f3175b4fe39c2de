package blkfront

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/unikgen/unikgen/drivers/xen/gnttab"
	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/xenbus"
	"github.com/unikgen/unikgen/drivers/xen/xenstore"
	"github.com/unikgen/unikgen/drivers/xen/xentest"
)

// fakeEvents is the event channel of the tests: port 9; a notification wakes the fake backend.
type fakeEvents struct{ kick chan struct{} }

func (e *fakeEvents) AllocUnbound(remote uint16) (uint32, error) {
	if remote != 0 {
		return 0, fmt.Errorf("alloc_unbound for domain %d, want 0", remote)
	}
	return 9, nil
}
func (e *fakeEvents) Notify(port uint32) {
	if port == 9 {
		select {
		case e.kick <- struct{}{}:
		default:
		}
	}
}
func (e *fakeEvents) Close(uint32) {}

type env struct {
	bus *xentest.Bus
	be  string
	bb  *xentest.Blkback
}

// connected returns a device connected to a fake blkback through a fake xenstore, with a disk
// of sectors 512-byte sectors and the backend keys given (info, feature-flush-cache...).
func connected(t *testing.T, sectors int, keys map[string]string) (*Device, *env) {
	t.Helper()
	b := make([]byte, 5*4096)
	a := (hw.Addr(b) + 4095) &^ 4095
	table := hw.Bytes(a, 4*4096)
	gnttab.Setup(a, 4)
	e := &env{bus: xentest.NewBus()}
	ev := &fakeEvents{kick: make(chan struct{}, 1)}
	xenstore.Setup(e.bus.Addr(), 1, e.bus.Notify, e.bus.Wait)
	oldPoll := xenbus.PollInterval
	xenbus.PollInterval = 2 * time.Millisecond
	stop := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		e.bus.SetStep(nil)
		xenbus.Reset()
		xenbus.PollInterval = oldPoll
		xenstore.Setup(0, 0, nil, nil)
		gnttab.Setup(0, 0)
		_ = b
	})
	e.be = e.bus.AddDevice("vbd", "51712", int(xenbus.InitWait))
	e.bus.Set("device/vbd/51712/virtual-device", "51712")
	disk := make([]byte, sectors*512)
	e.bus.SetStep(func(s *xentest.Store) {
		fs, _ := s.Get("device/vbd/51712/state")
		bs, _ := s.Get(e.be + "/state")
		if fs != "3" || bs != "2" {
			return
		}
		if p, _ := s.Get("device/vbd/51712/protocol"); p != "x86_64-abi" {
			t.Errorf("protocol %q, want x86_64-abi", p)
		}
		var ref uint32
		v, _ := s.Get("device/vbd/51712/ring-ref")
		fmt.Sscan(v, &ref)
		bb, err := xentest.NewBlkback(xentest.Grants{Table: table}, ref, disk)
		if err != nil {
			t.Errorf("blkback: %v", err)
			return
		}
		e.bb = bb
		s.Set(e.be+"/sectors", fmt.Sprint(sectors))
		s.Set(e.be+"/sector-size", "512")
		for k, v := range keys {
			s.Set(e.be+"/"+k, v)
		}
		s.Set(e.be+"/state", "4")
	})
	fe, err := xenbus.Open("vbd", "51712")
	if err != nil {
		t.Fatal(err)
	}
	fe.Events = ev
	mem := &xentest.Memory{}
	t.Cleanup(mem.Free)
	d, err := New(fe, mem)
	if err != nil {
		t.Fatal(err)
	}
	// The backend: serves on each notification and delivers the interrupt.
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-ev.kick:
			}
			if e.bb == nil {
				continue
			}
			if _, err := e.bb.Serve(); err != nil {
				t.Errorf("blkback: %v", err)
				return
			}
			d.Interrupt()
		}
	}()
	if err := d.Connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if e.bb == nil {
		t.Fatal("the fake backend did not connect")
	}
	if st := e.bus.Get("device/vbd/51712/state"); st != "4" {
		t.Fatalf("frontend state %q after Connect, want 4", st)
	}
	return d, e
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7) + byte(i>>9)
	}
	return b
}

func TestReadWriteFlush(t *testing.T) {
	d, e := connected(t, 2048, map[string]string{"info": "0", "feature-flush-cache": "1"})
	if d.Size() != 2048*512 || d.ReadOnly() || !strings.Contains(d.String(), "xvda") {
		t.Errorf("size %d, read-only %v, name %q; want 1 MiB, writable, xvda", d.Size(), d.ReadOnly(), d)
	}
	// Unaligned at both ends and longer than one request (44 KiB).
	data := pattern(100_000, 3)
	off := int64(5*512 + 100)
	if n, err := d.WriteAt(data, off); err != nil || n != len(data) {
		t.Fatalf("WriteAt: %d, %v", n, err)
	}
	if !bytes.Equal(e.bb.Disk[off:off+int64(len(data))], data) {
		t.Fatal("the disk does not hold what was written")
	}
	if bytes.Equal(e.bb.Durable, e.bb.Disk) {
		t.Fatal("the fake backend made the writes durable before a flush")
	}
	if e.bb.Writes < 3 {
		t.Errorf("%d write requests for 100000 bytes, want at least 3 (44 KiB each)", e.bb.Writes)
	}
	got := make([]byte, len(data))
	if n, err := d.ReadAt(got, off); err != nil || n != len(got) || !bytes.Equal(got, data) {
		t.Fatalf("ReadAt: %d, %v, equal %v", n, err, bytes.Equal(got, data))
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if e.bb.Flushes != 1 || !bytes.Equal(e.bb.Durable, e.bb.Disk) {
		t.Errorf("%d flushes, durable == disk %v; want 1 and true", e.bb.Flushes, bytes.Equal(e.bb.Durable, e.bb.Disk))
	}
	// Reads at the end are cut at the size; writes past it fail.
	end := make([]byte, 1000)
	if n, err := d.ReadAt(end, d.Size()-10); err != nil || n != 10 {
		t.Errorf("ReadAt at the end: %d, %v; want 10", n, err)
	}
	if _, err := d.WriteAt(end, d.Size()-10); err != syscall.ENOSPC {
		t.Errorf("WriteAt past the end: %v, want ENOSPC", err)
	}
}

func TestNoFlushFeature(t *testing.T) {
	d, e := connected(t, 64, map[string]string{"info": "0"})
	if err := d.Flush(); err != nil || e.bb.Flushes != 0 {
		t.Errorf("Flush without feature-flush-cache: %v, %d requests; want nil and none", err, e.bb.Flushes)
	}
}

func TestFlushNotSupported(t *testing.T) {
	d, e := connected(t, 64, map[string]string{"feature-flush-cache": "1"})
	e.bb.FlushStatus = StatusNotSupported
	if err := d.Flush(); err != nil {
		t.Errorf("Flush answered EOPNOTSUPP: %v, want nil (nothing to flush)", err)
	}
	if err := d.Flush(); err != nil || e.bb.Flushes != 1 {
		t.Errorf("second Flush: %v after %d requests; want nil after 1", err, e.bb.Flushes)
	}
}

func TestReadOnly(t *testing.T) {
	d, _ := connected(t, 64, map[string]string{"info": "4"})
	if !d.ReadOnly() {
		t.Fatal("info 4 (VDISK_READONLY): not read-only")
	}
	if _, err := d.WriteAt(make([]byte, 512), 0); !errors.Is(err, syscall.EROFS) {
		t.Errorf("WriteAt: %v, want EROFS", err)
	}
}

func TestIOError(t *testing.T) {
	d, e := connected(t, 64, nil)
	e.bb.FailSector = 8
	_, err := d.ReadAt(make([]byte, 512), 8*512)
	if !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "sector 8") {
		t.Errorf("read of a failing sector: %v, want EIO naming sector 8", err)
	}
	if _, err := d.ReadAt(make([]byte, 512), 0); err != nil {
		t.Errorf("the next read: %v", err)
	}
}

func TestBackendGone(t *testing.T) {
	d, e := connected(t, 64, nil)
	e.bus.Set(e.be+"/state", "5") // xl block-detach: the backend is Closing
	deadline := time.Now().Add(5 * time.Second)
	for d.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_, err := d.ReadAt(make([]byte, 512), 0)
	if err == nil || !strings.Contains(err.Error(), "the device is gone") {
		t.Errorf("read after the backend closed: %v, want the device gone", err)
	}
}

func TestDiskName(t *testing.T) {
	for vdev, want := range map[uint64]string{51712: "xvda", 51728: "xvdb", 51713: "", 768: ""} {
		if got := DiskName(vdev); got != want {
			t.Errorf("DiskName(%d) = %q, want %q", vdev, got, want)
		}
	}
}
