package main

type T struct{}

func (T) Called() string   { return "called" }
func (T) Uncalled() string { return "uncalled" }

type caller interface{ Called() string }

var sink any

func main() {
	var c caller = T{}
	sink = c
	println(c.Called())
}
