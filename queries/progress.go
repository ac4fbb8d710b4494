package queries

import (
	"context"
	"math/big"
	"strconv"
	"strings"

	"github.com/qiancun/qiancun"
)

// Progress returns the programme's totals in period, per district and for the city, the
// city's set against the targets of the rules.
func (e *Engine) Progress(ctx context.Context, period string) (*qiancun.Progress, error) {
	per, err := qiancun.ParsePeriod(period)
	if err != nil {
		return nil, &ParamError{"period", err.Error()}
	}
	res, err := e.Run(ctx, "progress", map[string]string{"period": per.String()})
	if err != nil {
		return nil, err
	}
	p := &qiancun.Progress{Period: per.String(), RulesVersion: e.rules.Version, City: []qiancun.ProgressLine{}, Districts: []qiancun.DistrictProgress{}}
	city := map[string]string{}
	for _, row := range res.Rows {
		code, name, metric := row[0].(string), row[1].(string), row[2].(string)
		actual, _ := row[3].(string)
		if code == "" {
			city[metric] = actual
			continue
		}
		if n := len(p.Districts); n == 0 || p.Districts[n-1].Code != code {
			p.Districts = append(p.Districts, qiancun.DistrictProgress{Code: code, Name: name})
		}
		d := &p.Districts[len(p.Districts)-1]
		d.Lines = append(d.Lines, qiancun.ProgressLine{Metric: metric, Label: metricLabel(metric), Actual: actual})
	}
	// Every city metric shows, a zero where nothing was received: a missing force is news.
	metrics := []string{"villages", "villages_reached"}
	for _, f := range qiancun.Forces() {
		metrics = append(metrics, "members:"+string(f.Slug))
	}
	metrics = append(metrics, "funds_yuan", "projects", "project_investment_yuan")
	t := e.rules.Targets
	for _, m := range metrics {
		line := qiancun.ProgressLine{Metric: m, Label: metricLabel(m), Actual: city[m]}
		if line.Actual == "" {
			line.Actual = "0"
		}
		var target string
		switch {
		case m == "villages" || m == "villages_reached":
			if t.Villages > 0 {
				target = strconv.FormatInt(t.Villages, 10)
			}
		case strings.HasPrefix(m, "members:"):
			if n := t.Members[strings.TrimPrefix(m, "members:")]; n > 0 {
				target = strconv.FormatInt(n, 10)
			}
		case m == "funds_yuan":
			if t.FundsYuan != "0" {
				target = t.FundsYuan
			}
		case m == "projects":
			if t.Projects > 0 {
				target = strconv.FormatInt(t.Projects, 10)
			}
		}
		if target != "" {
			line.Target, line.Percent = target, percent(line.Actual, target)
		}
		p.City = append(p.City, line)
	}
	return p, nil
}

// percent is a / b × 100, rounded half away from zero to two decimals, exactly.
func percent(a, b string) string {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	if !ok1 || !ok2 || y.Sign() == 0 {
		return ""
	}
	return roundRat2(x.Mul(x, big.NewRat(100, 1)).Quo(x, y))
}

// metricLabel names a progress metric in Chinese.
func metricLabel(m string) string {
	if f, ok := strings.CutPrefix(m, "members:"); ok {
		if fi, ok := qiancun.LookupForce(f); ok {
			return fi.Name + "人数"
		}
		return f + "人数"
	}
	switch m {
	case "villages":
		return "帮扶村数"
	case "villages_reached":
		return "已覆盖帮扶村数"
	case "funds_yuan":
		return "第一书记协调资金（元）"
	case "projects":
		return "产业项目数"
	case "project_investment_yuan":
		return "产业项目总投资（元）"
	}
	return m
}
