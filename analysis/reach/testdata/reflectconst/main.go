package main

import "reflect"

type T struct{}

func (T) Called() string   { return "called" }
func (T) Uncalled() string { return "uncalled" }

func main() {
	v := reflect.ValueOf(T{})
	println(v.MethodByName("Called").IsValid())
}
