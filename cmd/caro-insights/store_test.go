package main

import "testing"

func TestStoreTellsADSNFromAPath(t *testing.T) {
	for _, c := range []struct {
		name, where string
		dsn         bool
	}{
		{"a file name is a SQLite store", "store.db", false},
		{"an absolute path is a SQLite store", "/var/lib/otelcol-caro/store.db", false},
		{"a path with = past its start is a SQLite store", "./host=db.sqlite", false},
		{"a postgres URL is a DSN", "postgres://caro@db:5432/caro?sslmode=disable", true},
		{"a postgresql URL is a DSN", "postgresql://caro@db/caro", true},
		{"libpq key=value words are a DSN", "host=db port=5432 dbname=caro user=caro", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := storeOptions(c.where)
			if err != nil {
				t.Fatal(err)
			}
			if got := o.DSN != ""; got != c.dsn || (o.DSN == "") == (o.Path == "") {
				t.Fatalf("%q gave %+v, want DSN %v", c.where, o, c.dsn)
			}
		})
	}
	if _, err := storeOptions(""); err == nil {
		t.Error("no store was accepted")
	}
}
