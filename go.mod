module github.com/unikgen/unikgen

go 1.26
