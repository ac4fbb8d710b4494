package deploy

import (
	"fmt"
	"os"
)

// MainConfig is an nginx main configuration that keeps everything (pid, logs, temporary
// files) in dir and includes the site configuration at site: how the tests run nginx
// -t and nginx itself as an unprivileged user, without touching /etc or /var.
func MainConfig(dir, site string) string {
	user := ""
	if os.Geteuid() == 0 {
		// Run as root, nginx's workers would become nobody, who may not write in dir.
		user = "user root;\n"
	}
	return user + fmt.Sprintf(`pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
worker_processes 1;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[2]s;
}
`, dir, site)
}
