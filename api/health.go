package api

import (
	"context"
	_ "embed"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI 3 document of the API.
func OpenAPI() []byte { return openAPIDoc }

func (s *Server) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", openAPIDoc)
}

// healthz answers while the process is up.
func (s *Server) healthz(c *gin.Context) {
	c.PureJSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 while the database answers, 503 otherwise, and 503 for good once the
// database has failed fatally (see Config.OnFatal), even if a ping would pass.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	err := s.st.Ping(ctx)
	if err == nil && s.fatal.Load() != nil {
		err = *s.fatal.Load()
	}
	if err != nil {
		s.noteFatal(err)
		s.log.Warn("not ready: the database does not answer", "err", err, "request_id", requestID(c))
		s.fail(c, &Error{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Message: "数据库暂时没有响应，请稍后再试"})
		return
	}
	c.PureJSON(http.StatusOK, gin.H{"status": "ready"})
}

// ceilingBody is what /bench/ceiling serves slices of: a JSON object padded to 1 MiB.
var ceilingBody = func() []byte {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = 'x'
	}
	copy(b, `{"pad":"`)
	return b
}()

// benchCeiling answers a fixed body of ?bytes=N (at most 1 MiB) through the same middleware
// as every route: the ceiling the load benchmark compares a ranking page with.
func (s *Server) benchCeiling(c *gin.Context) {
	n, err := intParam(c, "bytes", 1024, 16, len(ceilingBody))
	if err != nil {
		s.fail(c, err)
		return
	}
	b := ceilingBody[:n:n]
	// Close the JSON string and object at the end of a fresh view of the fixed bytes: the
	// two closing bytes are written by a second Write, so the shared slice is never changed.
	c.Status(http.StatusOK)
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Header("Content-Length", strconv.Itoa(n))
	_, _ = c.Writer.Write(b[:n-2])
	_, _ = c.Writer.Write(closeJSON)
}

var closeJSON = []byte(`"}`)
