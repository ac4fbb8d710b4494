// Package deploy holds the reference deployment of qiancun and its tests: the nginx
// configuration (read replicas as one upstream, writes to the primary), systemd units,
// example configuration files, the Prometheus scrape configuration and alert rules with
// their unit tests, and, behind the loadtest build tag, the load and fault test of the
// whole arrangement (deploy/loadtest). See README.md.
package deploy
