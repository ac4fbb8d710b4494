package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every route of the API with the roles that may use it. The table in
// README.md and the route × role test follow it.
func (s *Server) routes() *gin.Engine {
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.ContextWithFallback = true
	e.Use(s.observe, secureHeaders, s.recoverPanic)
	if s.cfg.ReadOnly {
		e.Use(s.readOnly)
	}
	e.NoRoute(func(c *gin.Context) { s.fail(c, errNotFound("没有这个接口")) })
	e.NoMethod(func(c *gin.Context) {
		s.fail(c, &Error{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed, Message: "此接口不支持该请求方法"})
	})

	var (
		readers  = s.allow(RoleAdmin, RoleEvaluator, RoleLeader)   // rankings, villages, progress, workbooks
		analysts = s.allow(RoleAdmin, RoleEvaluator)               // the programme's internals
		history  = s.allow(RoleAdmin, RoleEvaluator, RoleUploader) // submissions, receipts
		upload   = s.allow(RoleAdmin, RoleUploader)                // new submissions
		monitor  = s.allow(RoleAdmin, RoleMonitor)                 // metrics
	)

	// The probes and the OpenAPI document need no token.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	// A failing collector (the progress, when the database does not answer) does not
	// blank the scrape: the other metrics are served and the error logged.
	e.GET("/metrics", monitor, gin.WrapH(promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      promLogger{s.log},
	})))

	v1 := e.Group("/api/v1")
	v1.GET("/healthz", s.healthz)
	v1.GET("/readyz", s.readyz)
	v1.GET("/openapi.json", s.openAPI)

	v1.GET("/forces", readers, s.forces)
	v1.GET("/rankings/:force", readers, s.ranking)
	v1.GET("/members/:force/:key/scorecard", readers, s.scorecard)
	v1.GET("/villages", readers, s.villages)
	v1.GET("/villages/:code", readers, s.village)
	v1.GET("/progress", readers, s.progress)
	v1.GET("/projects", analysts, s.projects)
	v1.GET("/reports/appraisal.xlsx", readers, s.appraisalBook)
	v1.GET("/reports/coverage.xlsx", readers, s.coverageBook)

	admin := s.allow(RoleAdmin)
	v1.GET("/publications", readers, s.publications)
	v1.POST("/publications", admin, s.publish)
	v1.GET("/publications/:id", readers, s.publication)
	v1.GET("/publications/:id/diff", analysts, s.publicationDiff)
	v1.POST("/publications/:id/finalize", admin, s.publicationMove("finalize"))
	v1.POST("/publications/:id/withdraw", admin, s.publicationMove("withdraw"))
	v1.POST("/publications/:id/correct", admin, s.publicationMove("correct"))
	v1.POST("/publications/:id/objections", analysts, s.addObjection)
	v1.GET("/objections", analysts, s.objections)
	v1.POST("/objections/:id/resolve", admin, s.resolveObjection)

	v1.POST("/submissions", upload, s.submit)
	v1.GET("/submissions", history, s.submissions)
	v1.GET("/submissions/:id", history, s.submission)
	v1.GET("/submissions/:id/receipt.xlsx", history, s.receiptBook)

	if s.cfg.BenchCeiling {
		e.GET("/bench/ceiling", s.benchCeiling)
	}
	return e
}

// openAPIPath turns gin's /a/:b into OpenAPI's /a/{b}.
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, x := range parts {
		if strings.HasPrefix(x, ":") || strings.HasPrefix(x, "*") {
			parts[i] = "{" + x[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// promLogger sends promhttp's errors to the server's log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Error("metrics", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}
