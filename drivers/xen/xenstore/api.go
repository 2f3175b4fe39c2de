// This file implements the allocating API for ordinary Go code.

package xenstore

import (
	"errors"
	"syscall"

	"github.com/unikgen/unikgen/drivers/xen/xenstore/wire"
)

// MaxTransactionAttempts bounds how often Transaction runs its function when commits keep
// failing with EAGAIN.
const MaxTransactionAttempts = 16

func errNotReady() error {
	if ring == 0 {
		return syscall.ENOTCONN
	}
	return syscall.EIO
}

// request runs one request built by enc (given the buffer and a request id) and returns a copy of
// the reply payload.
func request(enc func(buf []byte, id uint32) ([]byte, bool)) ([]byte, error) {
	lockUser()
	defer unlockUser()
	msg, ok := enc(txbuf[:], nextID())
	if !ok {
		return nil, syscall.E2BIG
	}
	pl, e := roundTrip(msg)
	if e != 0 {
		return nil, e
	}
	return append([]byte(nil), pl...), nil
}

func pathOp(t wire.Type, tx uint32, path string) ([]byte, error) {
	return request(func(buf []byte, id uint32) ([]byte, bool) {
		return wire.EncodePath(buf, t, id, tx, path)
	})
}

func read(tx uint32, path string) (string, error) {
	pl, err := pathOp(wire.Read, tx, path)
	return string(pl), err
}

func write(tx uint32, path, value string) error {
	_, err := request(func(buf []byte, id uint32) ([]byte, bool) {
		return wire.EncodeWrite(buf, id, tx, path, []byte(value))
	})
	return err
}

func directory(tx uint32, path string) ([]string, error) {
	pl, err := pathOp(wire.Directory, tx, path)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, wire.CountFields(pl))
	for len(pl) > 0 {
		var f []byte
		var term bool
		f, pl, term = wire.NextField(pl)
		if !term && len(f) == 0 {
			break
		}
		names = append(names, string(f))
	}
	return names, nil
}

// Read returns the value at path.
func Read(path string) (string, error) { return read(0, path) }

// Write sets path to value, creating it and missing parents.
func Write(path, value string) error { return write(0, path, value) }

// Mkdir creates path (with an empty value) if it does not exist.
func Mkdir(path string) error { _, err := pathOp(wire.Mkdir, 0, path); return err }

// Rm removes path and everything below it.
func Rm(path string) error { _, err := pathOp(wire.Rm, 0, path); return err }

// Directory returns the names of path's children.
func Directory(path string) ([]string, error) { return directory(0, path) }

// Watch asks the daemon to report changes at or below path with token. The daemon fires the watch
// once at registration; events are read with WaitEvent or PollEvent.
func Watch(path, token string) error {
	_, err := request(func(buf []byte, id uint32) ([]byte, bool) {
		return wire.EncodeWatch(buf, wire.Watch, id, path, token)
	})
	return err
}

// Unwatch removes the watch registered with path and token. Events it fired before may still be
// queued.
func Unwatch(path, token string) error {
	_, err := request(func(buf []byte, id uint32) ([]byte, bool) {
		return wire.EncodeWatch(buf, wire.Unwatch, id, path, token)
	})
	return err
}

// Tx is an open transaction; its operations see and change a consistent snapshot that Transaction
// commits at the end.
type Tx struct{ id uint32 }

// ID returns the transaction id given by the daemon.
func (tx Tx) ID() uint32 { return tx.id }

// Read returns the value at path inside the transaction.
func (tx Tx) Read(path string) (string, error) { return read(tx.id, path) }

// Write sets path to value inside the transaction.
func (tx Tx) Write(path, value string) error { return write(tx.id, path, value) }

// Mkdir creates path inside the transaction.
func (tx Tx) Mkdir(path string) error { _, err := pathOp(wire.Mkdir, tx.id, path); return err }

// Rm removes path inside the transaction.
func (tx Tx) Rm(path string) error { _, err := pathOp(wire.Rm, tx.id, path); return err }

// Directory lists path's children inside the transaction.
func (tx Tx) Directory(path string) ([]string, error) { return directory(tx.id, path) }

// Transaction runs fn in a transaction and commits it. If the commit fails with EAGAIN (another
// writer got in the way) or fn returns EAGAIN, it runs fn again in a new transaction, up to
// MaxTransactionAttempts times. If fn returns another error, the transaction is aborted and the
// error returned. fn may run several times: keep side effects out of it.
func Transaction(fn func(tx Tx) error) error {
	for attempt := 0; attempt < MaxTransactionAttempts; attempt++ {
		pl, err := request(func(buf []byte, id uint32) ([]byte, bool) {
			return wire.EncodeTransactionStart(buf, id)
		})
		if err != nil {
			return err
		}
		id, ok := wire.ParseUint(pl)
		if !ok {
			return syscall.EIO
		}
		tx := Tx{id}
		if err := fn(tx); err != nil {
			endTx(id, false)
			if errors.Is(err, syscall.EAGAIN) {
				continue
			}
			return err
		}
		err = endTx(id, true)
		if errors.Is(err, syscall.EAGAIN) {
			continue
		}
		return err
	}
	return syscall.EAGAIN
}

func endTx(id uint32, commit bool) error {
	_, err := request(func(buf []byte, rid uint32) ([]byte, bool) {
		return wire.EncodeTransactionEnd(buf, rid, id, commit)
	})
	return err
}
