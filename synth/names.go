package synth

import (
	"math/rand/v2"
	"strings"
)

// The pools below are plain constants (strings split on use), so that the package holds no
// mutable state. Every character is in GB2312, so that a GBK CSV can carry any name.

const (
	surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭邹金陆郝孔白崔康毛邱秦江史顾侯邵孟万段钱汤尹常武乔贺龚文牛葛鲁毕聂宁亓吕"
	given    = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏飞宇浩凯健俊帆旭宁林欣佳晨婷雪琳晶颖倩慧莉蕾梅兰凤洁燕云海波峰斌亮成志东新春国庆福德忠民荣昌胜祥宏振广永利清山青冰阳光彬博昊然泽睿轩瑞彤璐悦琪萌铭鑫晓立兴学长家泉方正良森霖涵茜蓓"

	placeA = "龙凤柳杨石马高孙唐仁文明普官白双东西南北大小新古金玉青黄红丰安宁泰华临平清长永兴崔曹辛枣桃杏梨莲荷鹊雁虎牛鹿松桑槐榆"
	placeB = "山河庄泉桥店集口沟岭营埠峪坡屯洼湖城阳平安泽源庙寨台里园林湾峰堡塘"

	villagePlace = "庄洼峪寨楼店屯岭沟坡园营湾埠集"
	directions   = "东西南北前后上下大小中"

	brandChars = "鲁泉华丰润康源绿禾谷鑫盛达信恒泰瑞宏博金沃田园乡齐舜岱明泓嘉裕晟和福"
)

func runes(s string) []string {
	out := make([]string, 0, len(s)/3)
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}

// pools holds the name pools split into characters.
type pools struct {
	surnames, given, placeA, placeB, villagePlace, directions, brand []string
}

func newPools() *pools {
	return &pools{
		surnames:     runes(surnames),
		given:        runes(given),
		placeA:       runes(placeA),
		placeB:       runes(placeB),
		villagePlace: runes(villagePlace),
		directions:   runes(directions),
		brand:        runes(brandChars),
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// person returns a two- or three-character Chinese name.
func (p *pools) person(r *rand.Rand) string {
	if r.IntN(10) < 3 {
		return pick(r, p.surnames) + pick(r, p.given)
	}
	return pick(r, p.surnames) + pick(r, p.given) + pick(r, p.given)
}

// place returns a two-character place stem such as 柳沟 or 石泉.
func (p *pools) place(r *rand.Rand) string {
	return pick(r, p.placeA) + pick(r, p.placeB)
}

// village returns a village name without its 村 suffix: 王家庄, 前李, 柳沟 and the like.
func (p *pools) village(r *rand.Rand) string {
	switch r.IntN(5) {
	case 0, 1:
		return pick(r, p.surnames) + "家" + pick(r, p.villagePlace)
	case 2:
		return pick(r, p.directions) + pick(r, p.surnames) + pick(r, p.villagePlace)
	case 3:
		return pick(r, p.directions) + pick(r, p.surnames)
	}
	return p.place(r)
}

// company returns an enterprise name in the district called short (历城, 章丘, ...).
func (p *pools) company(r *rand.Rand, short string) string {
	industries := []string{"农业科技", "食品", "农业发展", "生态农业", "农产品", "文化旅游", "供应链管理", "畜牧", "果蔬", "建设工程", "电子商务", "面粉", "茶业", "中药材", "物流", "能源"}
	kinds := []string{"有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司"}
	region := "济南"
	switch r.IntN(4) {
	case 0:
		region = "山东"
	case 1:
		region = "济南" + short
	}
	return region + pick(r, p.brand) + pick(r, p.brand) + pick(r, industries) + pick(r, kinds)
}

// shortDistrict drops the 区/县 suffix: 历城区 → 历城.
func shortDistrict(name string) string {
	return strings.TrimSuffix(strings.TrimSuffix(name, "区"), "县")
}

// cityUnits are the municipal bodies that dispatch first secretaries.
func cityUnits() []string {
	return []string{
		"中共济南市委组织部", "中共济南市委宣传部", "中共济南市委统战部", "中共济南市委政法委员会",
		"济南市发展和改革委员会", "济南市财政局", "济南市教育局", "济南市科学技术局", "济南市工业和信息化局",
		"济南市公安局", "济南市民政局", "济南市司法局", "济南市人力资源和社会保障局", "济南市自然资源和规划局",
		"济南市生态环境局", "济南市住房和城乡建设局", "济南市城乡交通运输局", "济南市水务局", "济南市农业农村局",
		"济南市商务局", "济南市文化和旅游局", "济南市卫生健康委员会", "济南市应急管理局", "济南市审计局",
		"济南市市场监督管理局", "济南市统计局", "济南市医疗保障局", "济南市大数据局", "济南市总工会",
		"共青团济南市委", "济南市妇女联合会", "济南市科学技术协会", "济南城市投资集团有限公司",
		"济南能源集团有限公司", "济南城市建设集团有限公司", "济南轨道交通集团有限公司", "山东大学", "济南大学",
		"山东师范大学", "齐鲁工业大学", "山东建筑大学", "济南市中心医院", "济南市人民医院",
	}
}

// districtUnits are the district bodies that dispatch first secretaries, without the
// district's name in front.
func districtUnits() []string {
	return []string{"委组织部", "农业农村局", "财政局", "教育和体育局", "人民医院", "发展和改革局", "自然资源局", "水务局", "市场监督管理局", "住房和城乡建设局"}
}

func banks() []string {
	return []string{
		"中国建设银行济南分行", "济南农商银行", "中国农业银行济南分行", "中国邮政储蓄银行济南市分行",
		"齐鲁银行", "恒丰银行济南分行", "中国工商银行济南分行", "中国银行济南分行", "莱商银行济南分行",
	}
}

func techFields() []string {
	return []string{"果树栽培", "蔬菜种植", "粮食作物", "畜禽养殖", "水产养殖", "农业机械", "植物保护", "土壤肥料", "食用菌", "中药材", "农产品加工", "农村电商", "设施农业", "林业"}
}

func cultureFields() []string {
	return []string{"书法", "美术", "音乐", "舞蹈", "戏曲", "曲艺", "摄影", "文学", "民间艺术", "非遗传承", "群众文化"}
}

func projectKinds() []string {
	return []string{"高效设施农业大棚项目", "特色种植基地建设项目", "乡村旅游开发项目", "农产品加工车间项目", "屋顶光伏发电项目", "冷链仓储项目", "电商服务站项目", "生态养殖场项目", "果蔬分拣中心项目", "民宿改造项目", "小麦良种繁育项目", "中药材种植项目"}
}

func cooperationModes() []string {
	return []string{"股份合作", "经营合作", "技术合作", "品牌合作"}
}
