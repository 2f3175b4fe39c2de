package main

func sink(n int, s string) {}

func wrap(n int)  { sink(n, "w") }
func twice(n int) { wrap(n) }

var fixed = 7

var flexible = 1

func main() {
	twice(1)
	wrap(2)
	for _, n := range []int{3, 4} {
		sink(n, "range")
	}
	s := "a"
	if fixed > 5 {
		s = "b"
	}
	sink(fixed, s)
	flexible++
	sink(flexible, "var")
}
