// Package collectortest holds the in-process tests that every Collector
// component of this module shares, as mdatagen and contrib's conventions
// would give them: a component's record in otelcolcaro against its
// metadata.yaml (mdatagen is not served here), the configs of testdata/,
// and a started processor for tests and benchmarks. (internal/otelcoltest
// runs the collector binaries instead.)
package collectortest
