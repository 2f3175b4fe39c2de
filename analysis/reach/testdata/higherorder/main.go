package main

var sink []func()

func do(f func()) { f() }

func a() {}
func b() {}
func c() { do(b) }

func main() {
	sink = append(sink, c) // c is address-taken, never called
	do(a)
}
