package benchcmd

import (
	"fmt"
	"testing"
)

// TestInterleave: every system in every round, the order turning round each round.
func TestInterleave(t *testing.T) {
	var got []string
	Interleave(3, 2, func(round, i int) { got = append(got, fmt.Sprint(round, i)) })
	if fmt.Sprint(got) != "[0 0 0 1 1 1 1 0 2 0 2 1]" {
		t.Errorf("order %v", got)
	}
	got = nil
	Interleave(2, 3, func(round, i int) { got = append(got, fmt.Sprint(round, i)) })
	if fmt.Sprint(got) != "[0 0 0 1 0 2 1 2 1 1 1 0]" {
		t.Errorf("three systems: order %v", got)
	}
}

func TestTail(t *testing.T) {
	if got := Tail("abcdef", 3); got != "def" {
		t.Errorf("Tail(abcdef, 3) = %q", got)
	}
	if got := Tail("ab", 3); got != "ab" {
		t.Errorf("Tail(ab, 3) = %q", got)
	}
}
