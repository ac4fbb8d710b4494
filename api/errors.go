package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
)

// Error is an error the API answers as it is: a status, a stable code and a message for
// the client. Every error response has the shape {"error": {"code", "message", "param"?}}.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"` // the query or path parameter at fault, for a 400
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// The error codes.
const (
	codeBadParameter     = "bad_parameter"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeTooLarge         = "too_large"
	codeUnavailable      = "unavailable"
	codeReadOnly         = "read_only"
	codeRefused          = "refused" // a publication rule refused the request (409)
	codeInternal         = "internal"
)

func errParam(param, format string, a ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: codeBadParameter, Param: param, Message: fmt.Sprintf(format, a...)}
}

func errUnauthorized(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: codeUnauthorized, Message: msg}
}

func errForbidden(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Code: codeForbidden, Message: msg}
}

func errNotFound(msg string) *Error {
	return &Error{Status: http.StatusNotFound, Code: codeNotFound, Message: msg}
}

// errInternal is the answer to anything unexpected: it names only the request id, under
// which the cause was logged.
func errInternal(c *gin.Context) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: codeInternal,
		Message: "服务器内部错误，已记入日志，请求编号 " + requestID(c)}
}

// errOutOfScope is a template an uploader may not write, found by the guarded sink.
type errOutOfScope string

func (e errOutOfScope) Error() string {
	return fmt.Sprintf("此令牌无权报送或读取模板 %q", string(e))
}

// NotReady is a handler that answers the liveness probes (/healthz, /api/v1/healthz) 200
// and every other request 503 with the API's error body saying msg: a read replica's
// answer before it has loaded a snapshot, when there is no Server yet to answer with.
func NotReady(msg string) http.Handler {
	b, _ := json.Marshal(errorBody{&Error{Code: codeUnavailable, Message: msg}})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/api/v1/healthz" {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(`{"status":"ok"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(b)
	})
}

type errorBody struct {
	Error *Error `json:"error"`
}

// ErrorOf classifies err as fail answers it: an *Error as it is; a bad parameter 400; a
// refusal of the publication rules 409; a missing member or submission 404; an upload over
// the limit 413; a template out of an uploader's scope 403; anything else 500 with a
// generic message, logged here, once, with its cause. It returns nil when the client has gone (nobody reads an answer; 499 is what
// the logs and metrics show). The pages render what it returns as HTML.
func (s *Server) ErrorOf(c *gin.Context, err error) *Error {
	var (
		ae  *Error
		pe  *queries.ParamError
		mbe *http.MaxBytesError
		oos errOutOfScope
		uf  qiancun.ErrUnknownForce
		pr  *qiancun.PublicationError
	)
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &pr):
		ae = &Error{Status: http.StatusConflict, Code: codeRefused, Message: pr.Message}
	case errors.As(err, &pe):
		ae = errParam(pe.Param, "%s", pe.Msg)
	case errors.As(err, &uf):
		ae = errParam("force", "未知的力量 %q：应为 %s 之一", string(uf), forceSlugs())
	case errors.Is(err, queries.ErrNoMember):
		ae = errNotFound("该力量、该期间的考核名单中没有这名成员")
	case errors.Is(err, store.ErrNotFound):
		ae = errNotFound("未找到：没有这个编号的记录")
	case errors.As(err, &mbe):
		ae = &Error{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge,
			Message: fmt.Sprintf("上传的文件超过了 %d 字节的上限", s.cfg.MaxUploadBytes)}
	case errors.As(err, &oos):
		ae = errForbidden(oos.Error())
	case c.Request.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		s.log.Debug("client gone", "route", routeOf(c), "request_id", requestID(c))
		c.Status(499)
		return nil
	default:
		s.log.Error("request failed", "route", routeOf(c), "method", c.Request.Method, "request_id", requestID(c), "err", err)
		ae = errInternal(c)
		s.noteFatal(err) // the service restarts: see Config.OnFatal
	}
	return ae
}

// fail writes err as the response: it is the only place that turns errors into the API's
// HTTP answers (ErrorOf says which).
func (s *Server) fail(c *gin.Context, err error) {
	ae := s.ErrorOf(c, err)
	if ae == nil {
		return
	}
	if ae.Status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="qiancun"`)
	}
	if c.Writer.Written() {
		return
	}
	c.PureJSON(ae.Status, errorBody{ae})
}
