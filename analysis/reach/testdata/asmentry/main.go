package main

// Implemented in entry_amd64.s.
func vec()

var installed func()

func goMain()  { helper() }
func helper()  {}
func handler() {}

func main() {
	installed = vec // installing an assembly handler makes it reachable
}
