// Package loadtest is the load and fault test of the reference deployment, behind the
// loadtest build tag: go test -count=1 -tags loadtest ./deploy/loadtest. It starts, on
// 127.0.0.1 only, nginx with deploy/nginx/qiancun.conf, the real binary as a primary and
// three read replicas, drives 32 concurrent clients through nginx while a department
// resubmits months on the primary and a replica is killed and restarted, and asserts that
// no request failed, that no answer mixed snapshots, and that every replica reached each
// new snapshot within 10 s. See deploy/README.md for the figures it prints.
package loadtest
