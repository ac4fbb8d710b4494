package api_test

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
)

type villageList struct {
	Total    int `json:"total"`
	Villages []struct {
		Code         string   `json:"code"`
		DistrictCode string   `json:"district_code"`
		Forces       []string `json:"forces"`
		ForceCount   int      `json:"force_count"`
	} `json:"villages"`
	Coverage struct {
		DistrictCode string           `json:"district_code"`
		Villages     int              `json:"villages"`
		Reached      map[string]int64 `json:"reached"`
	} `json:"coverage"`
}

func TestVillages(t *testing.T) {
	env := sharedEnv(t)
	city := decode[villageList](t, env.get(t, "/api/v1/villages?period=2024-05&limit=5000", asEval, 200))
	if city.Total != 2429 || len(city.Villages) != 2429 || city.Coverage.DistrictCode != "" || city.Coverage.Villages != 2429 {
		t.Fatalf("city: total %d, %d villages, coverage %+v", city.Total, len(city.Villages), city.Coverage)
	}
	postal := 0
	for _, v := range city.Villages {
		if len(v.Forces) != v.ForceCount {
			t.Errorf("%s: forces %v, count %d", v.Code, v.Forces, v.ForceCount)
		}
		for _, f := range v.Forces {
			if f == "postal" {
				postal++
			}
		}
	}
	if int64(postal) != city.Coverage.Reached["postal"] {
		t.Errorf("%d villages list postal, coverage says %d", postal, city.Coverage.Reached["postal"])
	}
	t.Run("a page", func(t *testing.T) {
		p := decode[villageList](t, env.get(t, "/api/v1/villages?period=2024-05&limit=10&offset=5", asEval, 200))
		var got, want []string
		for _, v := range p.Villages {
			got = append(got, v.Code)
		}
		for _, v := range city.Villages[5:15] {
			want = append(want, v.Code)
		}
		if p.Total != 2429 || !cmp.Equal(got, want) {
			t.Errorf("total %d, page %v, want %v", p.Total, got, want)
		}
	})
	t.Run("covered by a force", func(t *testing.T) {
		p := decode[villageList](t, env.get(t, "/api/v1/villages?period=2024-05&covered_by=postal&limit=1", asEval, 200))
		if p.Total != postal {
			t.Errorf("covered_by=postal: %d, want %d", p.Total, postal)
		}
	})
	t.Run("a district leader gets its district", func(t *testing.T) {
		p := decode[villageList](t, env.get(t, "/api/v1/villages?period=2024-05&limit=5000", asLeaderLC, 200))
		if p.Coverage.DistrictCode != "370112" || p.Total != p.Coverage.Villages || p.Total == 0 {
			t.Fatalf("total %d, coverage %+v", p.Total, p.Coverage)
		}
		for _, v := range p.Villages {
			if v.DistrictCode != "370112" {
				t.Fatalf("a village of %s", v.DistrictCode)
			}
		}
		one := p.Villages[0]
		got := decode[struct {
			Village struct {
				Code   string   `json:"code"`
				Forces []string `json:"forces"`
			} `json:"village"`
		}](t, env.get(t, "/api/v1/villages/"+one.Code+"?period=2024-05", asLeaderLC, 200))
		if got.Village.Code != one.Code || !cmp.Equal(got.Village.Forces, one.Forces) {
			t.Errorf("the village alone: %+v, in the list: %+v", got.Village, one)
		}
	})
}

type progressResp struct {
	City []struct {
		Metric  string `json:"metric"`
		Actual  string `json:"actual"`
		Percent string `json:"percent"`
	} `json:"city"`
	Districts []struct {
		Code string `json:"code"`
	} `json:"districts"`
}

func TestProgress(t *testing.T) {
	env := sharedEnv(t)
	tests := []struct {
		name, query, as string
		wantCity        bool
		wantDistricts   []string
	}{
		{"the city", "period=2024-Q2", asEval, true, nil},
		{"one district", "period=2024-Q2&district=370112", asEval, true, []string{"370112"}},
		{"a district leader", "period=2024-Q2", asLeaderLC, false, []string{"370112"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := decode[progressResp](t, env.get(t, "/api/v1/progress?"+tt.query, tt.as, 200))
			if (len(p.City) > 0) != tt.wantCity {
				t.Errorf("%d city lines", len(p.City))
			}
			var ds []string
			for _, d := range p.Districts {
				ds = append(ds, d.Code)
			}
			if tt.wantDistricts != nil && !cmp.Equal(ds, tt.wantDistricts) {
				t.Errorf("districts %v, want %v", ds, tt.wantDistricts)
			}
			if tt.wantDistricts == nil && len(ds) != 12 {
				t.Errorf("%d districts, want 12", len(ds))
			}
			for _, l := range p.City {
				if l.Metric == "members:first_secretary" && (l.Actual != "2383" || l.Percent != "100.00") {
					t.Errorf("first secretaries %s (%s%%)", l.Actual, l.Percent)
				}
			}
		})
	}
	// The engine's cached progress was not changed by the filtered answers.
	p := decode[progressResp](t, env.get(t, "/api/v1/progress?period=2024-Q2", asAdmin, 200))
	var codes, want []string
	for _, d := range p.Districts {
		codes = append(codes, d.Code)
	}
	for _, d := range qiancun.Districts() {
		want = append(want, d.Code)
	}
	if !cmp.Equal(codes, want) || len(p.City) == 0 {
		t.Errorf("after filtering: districts %v, %d city lines", codes, len(p.City))
	}
}

func TestProjectsAndForces(t *testing.T) {
	env := sharedEnv(t)
	type projects struct {
		Total    int `json:"total"`
		Projects []struct {
			Code      string `json:"code"`
			LeadForce string `json:"lead_force"`
			Status    string `json:"status"`
		} `json:"projects"`
		Summary []struct {
			Projects int `json:"projects"`
		} `json:"summary"`
	}
	all := decode[projects](t, env.get(t, "/api/v1/projects?limit=5000", asEval, 200))
	if all.Total != 1430 || len(all.Projects) != 1430 {
		t.Fatalf("%d projects (%d listed), want 1430", all.Total, len(all.Projects))
	}
	sum := 0
	for _, s := range all.Summary {
		sum += s.Projects
	}
	if sum != 1430 {
		t.Errorf("the summary counts %d projects", sum)
	}
	building := decode[projects](t, env.get(t, "/api/v1/projects?limit=5000&status="+url.QueryEscape("在建")+"&lead_force=first_secretary", asEval, 200))
	if building.Total == 0 || building.Total >= 1430 {
		t.Errorf("在建 by first secretaries: %d", building.Total)
	}
	for _, p := range building.Projects {
		if p.Status != "在建" || p.LeadForce != "第一书记" {
			t.Errorf("%+v in the filtered list", p)
		}
	}
	byName := decode[projects](t, env.get(t, "/api/v1/projects?lead_force="+url.QueryEscape("第一书记")+"&status="+url.QueryEscape("在建"), asEval, 200))
	if byName.Total != building.Total {
		t.Errorf("lead_force by name: %d, by slug: %d", byName.Total, building.Total)
	}
	one := decode[projects](t, env.get(t, "/api/v1/projects?q="+url.QueryEscape(all.Projects[0].Code), asEval, 200))
	if one.Total != 1 {
		t.Errorf("q=<code>: %d", one.Total)
	}

	forces := decode[struct {
		Forces []struct {
			Slug    string `json:"slug"`
			Members int    `json:"members"`
		} `json:"forces"`
	}](t, env.get(t, "/api/v1/forces", asLeader, 200))
	got := map[string]int{}
	for _, f := range forces.Forces {
		got[f.Slug] = f.Members
	}
	want := map[string]int{"first_secretary": 2383, "enterprise": 1625, "law": 388, "postal": 190, "culture": 100}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d members, want %d", k, got[k], v)
		}
	}
	if len(got) != 7 {
		t.Errorf("%d forces", len(got))
	}
}
