package redactionprocessor

import (
	"errors"
	"fmt"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

// Config configures the caro_redaction processor. The schema itself (which
// events and fields exist, their types, domains and formats) is not
// configurable: it is package schema, the same on the client and here.
type Config struct {
	// ServiceNames are the service.name values whose records are kept
	// (default [caro]). Records of a resource with another or no
	// service.name are dropped and counted (reason resource).
	ServiceNames []string `mapstructure:"service_names"`
	// RejectResourceAttributes drops every record of a resource that
	// carries any attribute besides service.name and service.version, as
	// the client SDK does. By default (false) such attributes are removed
	// and counted, and the records go on: a gateway cannot trust what
	// clients, proxies or the receiver add, but the events are still good.
	RejectResourceAttributes bool `mapstructure:"reject_resource_attributes"`
}

// Validate checks the service names.
func (c *Config) Validate() error {
	if len(c.ServiceNames) == 0 {
		return errors.New("service_names must list at least one service name (Caro's is \"caro\")")
	}
	for _, n := range c.ServiceNames {
		if n == "" || len(n) > schema.MaxStringLen || redaction.Detect(n) != redaction.ReasonNone {
			return fmt.Errorf("service_names: %q is not a plain service name", n)
		}
	}
	return nil
}

func createDefaultConfig() *Config {
	return &Config{ServiceNames: []string{schema.ServiceName}}
}
