"""Generated knowledge-base articles for the kb_* benchmarks, in the format of cms/demo/articles.json.

Search timings depend on how often each n-gram occurs, so the articles are written from a
vocabulary of occupational-health sentences across the six hazard classes plus general articles
on rights and duties, with the class mix of a real popular-science collection (chemicals, noise
and dust most, radiation and biological hazards least). Sentences are templates whose slots
(factor, disease, protection, workplace, symptom, job, numbers) are filled per article, so no two
articles are alike while common words (职业, 防护, 劳动者) stay common and specific ones (正己烷,
布鲁氏菌病) stay rare. Each article is 600–1500 characters of body text.

Deterministic: article ``n`` of seed ``s`` is always the same. No Django here, so it can be
imported anywhere.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

SEED = 2025
BODY_CHARS = (600, 1500)


@dataclass(frozen=True)
class Topic:
    code: str  # hazard class code ("" for general articles)
    weight: float  # share of the collection
    # (name as written in text, catalogue name in orgs.HazardFactor or "")
    factors: tuple[tuple[str, str], ...]
    diseases: tuple[str, ...]
    protections: tuple[str, ...]
    places: tuple[str, ...]
    symptoms: tuple[str, ...]
    jobs: tuple[str, ...]
    industries: tuple[str, ...]  # level-1 industry codes
    sentences: tuple[str, ...]
    titles: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        code="dust", weight=0.22,
        factors=(("矽尘", "矽尘（游离SiO2含量≥10%）"), ("煤尘", "煤尘"), ("石棉粉尘", "石棉粉尘"),
                 ("水泥粉尘", "水泥粉尘"), ("电焊烟尘", "电焊烟尘"), ("木粉尘", "木粉尘"), ("棉尘", "棉尘"),
                 ("铸造粉尘", "铸造粉尘"), ("石墨粉尘", "石墨粉尘")),
        diseases=("尘肺病", "矽肺", "煤工尘肺", "石棉肺", "电焊工尘肺", "慢性阻塞性肺疾病"),
        protections=("防尘口罩", "KN95口罩", "湿式作业", "密闭除尘", "局部排风", "通风除尘设施", "喷雾降尘"),
        places=("矿山井下", "水泥厂", "铸造车间", "石材加工厂", "隧道施工现场", "采石场", "木器加工车间", "纺织厂"),
        symptoms=("咳嗽", "咳痰", "胸闷", "气短", "胸痛", "活动后呼吸困难"),
        jobs=("凿岩工", "掘进工", "电焊工", "打磨工", "清砂工", "粉碎工", "装卸工"),
        industries=("B", "C", "E"),
        sentences=(
            "{factor}颗粒很小，能随呼吸进入肺的深部，长期吸入会引起{disease}。",
            "{disease}的早期往往没有明显症状，等到出现{symptom}时，肺部病变通常已经比较严重。",
            "在{place}，{job}是接触{factor}最多的岗位，应当重点做好防护。",
            "{protection}是控制{factor}的有效办法，比单纯依靠个人防护更可靠。",
            "防尘口罩要选用符合国家标准的颗粒物防护口罩，普通纱布口罩挡不住细小的粉尘。",
            "佩戴防尘口罩前要检查气密性：双手捂住口罩快速呼气，边缘不应漏气。",
            "作业场所粉尘浓度应定期检测，超过职业接触限值时必须采取控制措施。",
            "{disease}目前还没有能够逆转的治疗方法，预防是唯一可靠的办法。",
            "接触{factor}的劳动者应按规定拍摄高千伏胸片或数字化胸片，以便早期发现肺部改变。",
            "干式打磨、干式凿岩会产生大量粉尘，能改为湿式作业的应当改为湿式作业。",
            "下班前清理工作服上的粉尘，不要用压缩空气吹，以免粉尘再次飞扬。",
            "吸烟会加重粉尘对肺的损害，接尘劳动者更应当戒烟。",
            "某{place}改造除尘系统后，作业点{factor}浓度下降了{percent}%左右。",
            "{job}在{place}作业时，一个班次吸入的粉尘量可能达到数十毫克。",
        ),
        titles=("{factor}危害与防护", "如何预防{disease}", "{place}的粉尘防护要点", "{job}怎样选择防尘口罩",
                "一文读懂{disease}", "{protection}：控制{factor}的第一道防线", "接触{factor}要做哪些体检"),
    ),
    Topic(
        code="chemical", weight=0.30,
        factors=(("苯", "苯"), ("甲苯", "甲苯"), ("二甲苯", "二甲苯"), ("正己烷", "正己烷"),
                 ("铅", "铅及其化合物（不包括四乙基铅）"), ("汞", "汞及其化合物"), ("一氧化碳", "一氧化碳"),
                 ("硫化氢", "硫化氢"), ("氯气", "氯气"), ("甲醛", "甲醛"), ("三氯乙烯", "三氯乙烯"),
                 ("锰", "锰及其化合物"), ("氨", "氨")),
        diseases=("职业性苯中毒", "白血病", "职业性铅中毒", "周围神经病", "职业性急性一氧化碳中毒",
                  "急性硫化氢中毒", "药疹样皮炎", "职业性哮喘", "汞中毒"),
        protections=("防毒面具", "通风排毒设施", "防护手套", "化学防护服", "有毒气体报警仪", "局部排风罩",
                     "低毒原料替代"),
        places=("喷漆车间", "制鞋厂", "蓄电池厂", "化工厂", "污水处理池", "印刷车间", "电子装配线", "下水道"),
        symptoms=("头晕", "头痛", "乏力", "恶心", "手脚麻木", "牙龈出血", "记忆力减退", "胸闷憋气"),
        jobs=("喷漆工", "刷胶工", "化验员", "清洗工", "冶炼工", "污水处理工", "印刷工"),
        industries=("C", "D", "N"),
        sentences=(
            "{factor}可以经呼吸道吸入，也可以经皮肤吸收，长期接触会引起{disease}。",
            "{factor}中毒初期常表现为{symptom}、{symptom2}，容易被当作普通感冒而延误。",
            "在{place}，{job}接触{factor}的机会最多，作业时必须佩戴合适的{protection}。",
            "用低毒或无毒的原料替代{factor}，是从源头上消除危害的办法。",
            "进入{place}等有限空间前，必须先通风、再检测、后作业，严禁盲目施救。",
            "防毒面具的滤毒罐有使用期限，要根据接触的毒物种类选用，并按时更换。",
            "化学品安全技术说明书写明了毒性、防护和急救措施，上岗前应当读懂。",
            "接触{factor}的劳动者要定期检查血常规、肝功能等项目，出现异常要及时复查。",
            "发生急性中毒时，应立即将中毒者移到空气新鲜处，并拨打急救电话。",
            "工作场所不要进食、饮水和吸烟，下班前要洗手、更衣，防止把毒物带回家。",
            "某{place}的{count}名{job}中，有{small}人出现{symptom}，检测发现{factor}浓度超标。",
            "{protection}要定期维护，风量不足时排毒效果会大打折扣。",
            "孕期和哺乳期女职工不得安排从事接触{factor}等有毒物质的作业。",
            "苯是明确的人类致癌物，长期低浓度接触也可能引起白血病。",
        ),
        titles=("{factor}中毒的预防与急救", "{place}化学毒物防护指南", "认识{disease}", "{job}如何防范{factor}危害",
                "{protection}的正确使用方法", "有限空间作业与{factor}中毒", "接触{factor}的职业健康检查"),
    ),
    Topic(
        code="physical", weight=0.26,
        factors=(("噪声", "噪声"), ("高温", "高温"), ("振动", "振动"), ("紫外线", "紫外线"), ("低温", "低温"),
                 ("激光", "激光"), ("微波", "微波")),
        diseases=("噪声聋", "听力损失", "职业性中暑", "手臂振动病", "电光性眼炎", "冻伤", "白内障"),
        protections=("耳塞", "耳罩", "防暑降温措施", "含盐清凉饮料", "减振手套", "防护眼镜", "隔声罩", "遮阳棚"),
        places=("冲压车间", "纺织车间", "炼钢炉前", "露天工地", "锻造车间", "空压机房", "冷库", "船厂"),
        symptoms=("耳鸣", "听力下降", "头痛", "口渴", "大量出汗", "手指发白", "手指麻木", "眼睛刺痛"),
        jobs=("冲压工", "挡车工", "炉前工", "建筑工人", "风镐工", "铆工", "电焊工"),
        industries=("C", "E", "G"),
        sentences=(
            "长期在{factor}环境中工作，会引起{disease}，早期常常只有{symptom}。",
            "噪声超过85分贝的岗位，劳动者应当佩戴耳塞或耳罩，并定期做纯音听阈测试。",
            "耳塞要搓细后塞入耳道，按住二十秒等它膨胀，塞得太浅几乎没有降噪效果。",
            "{disease}一旦形成很难完全恢复，预防要从上岗第一天做起。",
            "高温天气要合理调整作息时间，避开中午最热的时段露天作业。",
            "中暑的早期表现有{symptom}、{symptom2}，出现时应立即到阴凉处休息并补充水分。",
            "用人单位应当为高温作业劳动者提供含盐清凉饮料，并按规定发放高温津贴。",
            "长期使用风镐、砂轮等振动工具，可能引起手臂振动病，表现为{symptom}。",
            "在{place}，{job}每天接触{factor}的时间往往超过八小时，应当轮换作业。",
            "{protection}是控制{factor}危害的重要手段，但不能代替工程控制。",
            "某{place}为{count}名{job}落实{protection}后，{disease}的发生明显减少。",
            "电焊弧光中的紫外线会引起电光性眼炎，焊接时必须戴好防护面罩。",
            "冬季户外和冷库作业要注意保暖，防止冻伤和低体温。",
            "对{factor}的控制应优先考虑隔声、减振、隔热等工程措施。",
        ),
        titles=("{factor}与{disease}", "{place}的{factor}防护", "如何正确佩戴{protection}", "高温作业防中暑",
                "{job}的听力保护", "远离{disease}：{factor}防护要点", "{factor}岗位职业健康检查"),
    ),
    Topic(
        code="radiation", weight=0.06,
        factors=(("电离辐射", "密封放射源产生的电离辐射"), ("X射线", "X射线装置（含CT机）产生的电离辐射"),
                 ("氡", "氡及其短寿命子体"), ("放射性物质", "非密封放射性物质")),
        diseases=("放射性皮肤损伤", "职业性放射性疾病", "放射性白内障", "外照射慢性放射病"),
        protections=("个人剂量计", "铅衣", "屏蔽防护", "时间防护", "距离防护", "铅眼镜"),
        places=("放射科", "工业探伤现场", "核医学科", "铀矿", "介入手术室"),
        symptoms=("皮肤发红", "脱发", "乏力", "白细胞减少"),
        jobs=("放射技师", "探伤工", "介入医生", "核医学护士"),
        industries=("Q", "B", "M"),
        sentences=(
            "放射工作人员上岗前必须接受放射防护培训，并佩戴{protection}。",
            "缩短受照时间、增大与放射源的距离、设置屏蔽，是外照射防护的三项基本原则。",
            "{place}的{job}应当按季度送检个人剂量计，剂量异常要查明原因。",
            "长期受到超过限值的照射，可能引起{disease}。",
            "工业探伤现场要划定控制区和监督区，设置警示标志，无关人员不得进入。",
            "放射工作人员应当建立个人剂量档案和职业健康监护档案，并终生保存。",
            "{factor}看不见、摸不着，只能依靠仪器监测，不能凭感觉判断安全与否。",
            "某{place}每年为{count}名{job}做职业健康检查，重点检查血常规和眼晶状体。",
        ),
        titles=("{factor}防护基本知识", "{job}的辐射防护", "认识{disease}", "{protection}怎么用"),
    ),
    Topic(
        code="biological", weight=0.06,
        factors=(("布鲁氏菌", "布鲁氏菌"), ("森林脑炎病毒", "森林脑炎病毒"), ("炭疽芽孢杆菌", "炭疽芽孢杆菌"),
                 ("伯氏疏螺旋体", "伯氏疏螺旋体")),
        diseases=("布鲁氏菌病", "森林脑炎", "莱姆病", "炭疽"),
        protections=("防护手套", "防护服", "驱虫剂", "疫苗接种", "消毒", "口罩和护目镜"),
        places=("畜牧养殖场", "屠宰厂", "林区", "皮毛加工厂", "兽医站"),
        symptoms=("发热", "多汗", "关节疼痛", "乏力", "皮肤红斑"),
        jobs=("饲养员", "屠宰工", "林业工人", "兽医", "皮毛工"),
        industries=("A", "C", "Q"),
        sentences=(
            "{factor}可以通过破损的皮肤、呼吸道或消化道进入人体，引起{disease}。",
            "{disease}常见的表现有{symptom}、{symptom2}，容易与感冒混淆。",
            "在{place}接产、屠宰或处理病畜时，{job}应当戴好{protection}。",
            "进入林区作业要穿防护服、扎紧袖口裤脚，回来后检查身上有没有蜱虫。",
            "流产的牲畜胎盘和分泌物要深埋或焚烧，作业场所要及时消毒。",
            "高危岗位的劳动者可以按规定接种疫苗，降低感染风险。",
            "某{place}的{count}名{job}中，有{small}人检出{factor}抗体阳性。",
        ),
        titles=("{disease}的预防", "{job}如何防范{factor}", "{place}生物危害防护"),
    ),
    Topic(
        code="other", weight=0.08,
        factors=(("金属烟", "金属烟"), ("井下不良作业条件", "井下不良作业条件"),
                 ("刮研作业", "刮研作业")),
        diseases=("金属烟热", "滑囊炎", "腰背痛", "肌肉骨骼疾患"),
        protections=("工间休息", "护膝", "局部排风", "合理排班", "工效学改造"),
        places=("井下", "机加工车间", "装配线", "仓库", "镀锌车间"),
        symptoms=("发热", "寒战", "关节肿痛", "腰背酸痛", "肌肉酸痛"),
        jobs=("井下工人", "刮研工", "装配工", "搬运工", "焊工"),
        industries=("B", "C", "G"),
        sentences=(
            "长期跪姿、蹲姿作业容易引起{disease}，应当配发{protection}并安排工间休息。",
            "焊接镀锌件时产生的金属烟，可能在下班后几小时引起金属烟热，表现为{symptom}。",
            "不良工作姿势和重复动作是肌肉骨骼疾患的主要原因，可以通过工效学改造减少。",
            "在{place}，{job}搬运重物时要屈膝下蹲，用腿部发力，不要弯腰猛提。",
            "某{place}调整{count}名{job}的排班后，腰背痛的报告明显减少。",
            "{protection}简单易行，却常被忽视。",
        ),
        titles=("{job}如何预防{disease}", "{factor}的健康影响", "{place}工效学改善"),
    ),
    Topic(
        code="", weight=0.02,
        factors=(), diseases=("职业病",), protections=("个人防护用品",), places=("工作场所",),
        symptoms=("不适",), jobs=("劳动者",), industries=(), sentences=(),
        titles=("劳动者的职业健康权利", "职业病诊断怎么申请", "上岗前、在岗期间和离岗时体检",
                "用人单位的职业病防治责任", "工伤保险与职业病待遇", "职业健康素养知多少"),
    ),
)

# Sentences that belong in any article: rights, duties, checks, training, the law.
GENERAL_SENTENCES: tuple[str, ...] = (
    "根据《职业病防治法》，劳动者依法享有职业卫生保护的权利。",
    "用人单位应当为劳动者建立职业健康监护档案，劳动者离开时有权索取本人档案的复印件。",
    "职业健康检查分为上岗前、在岗期间和离岗时三种，费用由用人单位承担。",
    "签订劳动合同时，用人单位应当如实告知工作中可能产生的职业病危害及其后果。",
    "劳动者有权拒绝在没有职业病防护措施的条件下从事职业病危害作业。",
    "用人单位应当在醒目位置设置公告栏，公布职业病危害因素检测结果和防护措施。",
    "上岗前的职业卫生培训不少于八学时，以后每年还要接受复训。",
    "个人防护用品是保护劳动者的最后一道防线，要选对、戴对、及时更换。",
    "发现身体不适并怀疑与工作有关时，可以到有资质的医疗卫生机构申请职业病诊断。",
    "被诊断为职业病的劳动者，依法享受工伤保险待遇。",
    "职业病危害因素的控制，应当优先采用工程技术措施，其次是管理措施，最后才是个人防护。",
    "用人单位的主要负责人对本单位的职业病防治工作全面负责。",
    "劳动者应当学习职业卫生知识，遵守操作规程，正确使用防护设施和个人防护用品。",
    "疑似职业病病人在诊断、医学观察期间，用人单位不得解除或者终止与其订立的劳动合同。",
    "职业健康检查发现职业禁忌的劳动者，应当调离原岗位并妥善安置。",
    "作业场所的警示标识和中文警示说明，能提醒劳动者注意危害、做好防护。",
    "新建、改建、扩建项目可能产生职业病危害的，应当进行职业病危害预评价。",
    "劳动者对违反职业病防治法律法规的行为，有权提出批评、检举和控告。",
    "养成良好的生活习惯，合理膳食、适量运动、戒烟限酒，有助于增强抵抗力。",
    "工作中出现{symptom}等情况，不要硬撑，应当及时报告班组长并就医。",
    "职业健康素养包括职业健康法律知识、保护基本知识、保护基本技能以及健康工作方式和行为。",
    "{count}名劳动者参加了今年的在岗期间职业健康检查，复查率达到{percent}%。",
    "企业每年至少进行一次职业病危害因素检测，每三年至少进行一次现状评价。",
    "班前会上讲一讲当天岗位的危害和防护要点，比贴在墙上的制度更管用。",
    "防护用品要存放在清洁干燥的地方，破损、失效的要及时报废。",
    "农民工、劳务派遣工同样享有职业健康检查和职业病防护的权利。",
    "职业病防治坚持预防为主、防治结合的方针。",
    "把职业健康融入日常管理，才能真正减少职业病的发生。",
)

CONNECTORS = ("", "", "", "此外，", "同时，", "需要注意的是，", "实践表明，", "另外，", "因此，", "特别要提醒的是，")
HEADINGS = ("危害从哪里来", "对健康有什么影响", "怎样做好防护", "用人单位的责任", "劳动者要注意什么",
            "出现不适怎么办", "相关规定", "常见误区", "身边的案例", "体检要点")
KEY_POINT_TEMPLATES = ("上岗前接受职业卫生培训", "按规定佩戴{protection}", "定期参加职业健康检查",
                       "出现{symptom}及时就医", "了解{factor}的危害", "不在作业场所进食和吸烟",
                       "发现防护设施损坏立即报告", "保存好本人的职业健康监护档案")
FAQ_TEMPLATES = (
    ("接触{factor}一定会得{disease}吗？", "不一定。是否发病与接触浓度、接触时间和个人防护都有关系，做好防护可以大大降低风险。"),
    ("职业健康检查要自己出钱吗？", "不用。职业健康检查的费用由用人单位承担，检查时间按正常出勤计算。"),
    ("{protection}多久更换一次？", "要按照产品说明和实际使用情况更换，出现破损、变形或防护效果下降时应立即更换。"),
    ("怀疑自己得了{disease}怎么办？", "可以携带职业史资料，到有资质的职业病诊断机构申请诊断，用人单位应当如实提供资料。"),
    ("换了工作以后还能申请诊断吗？", "可以。劳动者可以在用人单位所在地、本人户籍所在地或者经常居住地申请职业病诊断。"),
)
CALLOUT_TEMPLATES = (
    ("tip", "小提示", "使用{protection}前先检查是否完好，作业中不要随意停用或摘下。"),
    ("warning", "注意", "出现{symptom}、{symptom2}时，应立即停止作业，到空气新鲜或阴凉处休息。"),
    ("law", "法规", "《职业病防治法》规定，用人单位应当为劳动者提供符合防治职业病要求的防护设施和个人防护用品。"),
)
SUMMARY_TEMPLATES = (
    "本文介绍{factor}的来源、对健康的影响和防护方法，帮助{job}远离{disease}。",
    "{place}的{job}长期接触{factor}，本文讲清楚怎样防护、怎样体检、出现{symptom}怎么办。",
    "{disease}可防不可治。了解{factor}的危害，正确使用{protection}，是保护自己的关键。",
    "从工程控制到个人防护，{place}{factor}防护的要点一次讲清楚。",
)
GENERAL_SUMMARIES = (
    "职业病防治法赋予劳动者多项权利，本文逐条说明，并告诉你遇到问题时去哪里求助。",
    "职业健康检查、职业病诊断和工伤保险待遇，每一位劳动者都应当了解。",
    "用人单位和劳动者在职业病防治中各有哪些责任？本文用问答的方式讲清楚。",
)
TAGS = ("职业病防治法", "职业健康检查", "个人防护", "有限空间", "听力保护", "防暑降温", "尘肺病", "职业中毒",
        "辐射防护", "劳动者权利", "用人单位责任", "工伤保险", "健康工作方式", "应急救援", "女职工保护",
        "农民工", "培训", "警示标识", "工程控制", "职业病诊断")
AUDIENCES = ("principal", "manager", "worker", "public")
DIMENSIONS = ("law", "protection_knowledge", "protection_skills", "healthy_behaviour")


def topic_for(rng: random.Random) -> Topic:
    return rng.choices(TOPICS, weights=[topic.weight for topic in TOPICS])[0]


class _Filler:
    """Fills a template's slots for one article: mostly its own factor and disease, so an article
    stays on its subject, with the occasional other one of the same class."""

    def __init__(self, rng: random.Random, topic: Topic, factors: list[tuple[str, str]]) -> None:
        self.rng = rng
        self.topic = topic
        self.factors = factors
        self.disease = rng.choice(topic.diseases)

    def fill(self, template: str) -> str:
        rng, topic = self.rng, self.topic
        symptoms = rng.sample(topic.symptoms, 2) if len(topic.symptoms) > 1 else [topic.symptoms[0]] * 2
        if not self.factors:
            factor = "职业病危害因素"
        elif rng.random() < 0.7:
            factor = self.factors[0][0]
        else:
            factor = rng.choice(self.factors)[0]
        return template.format(
            factor=factor,
            disease=self.disease if rng.random() < 0.7 else rng.choice(topic.diseases),
            protection=rng.choice(topic.protections),
            place=rng.choice(topic.places),
            symptom=symptoms[0],
            symptom2=symptoms[1],
            job=rng.choice(topic.jobs),
            count=rng.randint(12, 860),
            small=rng.randint(2, 11),
            percent=rng.randint(30, 96),
        )

    def sentence(self) -> str:
        pool = self.topic.sentences if self.topic.sentences and self.rng.random() < 0.6 else GENERAL_SENTENCES
        return self.rng.choice(CONNECTORS) + self.fill(self.rng.choice(pool))


def article(number: int, *, seed: int = SEED, prefix: str = "bench") -> dict[str, Any]:
    """Article ``number`` as an item of cms/demo/articles.json (without "related")."""
    rng = random.Random(f"{seed}:{number}")
    topic = topic_for(rng)
    factors = rng.sample(topic.factors, min(len(topic.factors), rng.choice((1, 1, 2, 3)))) if topic.factors else []
    filler = _Filler(rng, topic, factors)
    title = filler.fill(rng.choice(topic.titles))
    summary_pool = SUMMARY_TEMPLATES if factors else GENERAL_SUMMARIES
    summary = filler.fill(rng.choice(summary_pool))
    low, high = BODY_CHARS
    # Headings and block markup make the count approximate: aim a little inside the range.
    low, high = low + 20, high - 20
    target = rng.randint(low, high)
    body: list[dict[str, Any]] = []
    written = 0
    headings = rng.sample(HEADINGS, len(HEADINGS))
    extras = rng.sample(["key_points", "callout", "faq"], rng.randint(1, 3))
    while written < target:
        heading = headings[len(body) % len(headings)]
        sentences: list[str] = []
        written += len(heading)
        for _ in range(rng.randint(3, 6)):
            sentence = filler.sentence()
            if written + len(sentence) > high or (written >= low and written + len(sentence) > target):
                break
            sentences.append(sentence)
            written += len(sentence)
        if not sentences:
            written -= len(heading)
            break
        body.append({"type": "paragraph", "value": f"<h2>{heading}</h2><p>{''.join(sentences)}</p>"})
        if extras and written > target / 3:
            block, text_length = _extra_block(extras.pop(), filler, rng)
            if written + text_length <= high:
                body.append(block)
                written += text_length
    return {
        "slug": f"{prefix}-{number:05d}",
        "title": title,
        "summary": summary,
        "body": body,
        "hazard_classes": [topic.code] if topic.code else [],
        "hazard_factors": [catalogue for _written, catalogue in factors if catalogue],
        "industries": rng.sample(topic.industries, rng.randint(1, len(topic.industries))) if topic.industries else [],
        "audiences": rng.sample(AUDIENCES, rng.randint(1, 2)),
        "dimensions": rng.sample(DIMENSIONS, rng.randint(1, 2)),
        "tags": rng.sample(TAGS, rng.randint(1, 3)),
    }


def _extra_block(kind: str, filler: _Filler, rng: random.Random) -> tuple[dict[str, Any], int]:
    if kind == "key_points":
        points = [filler.fill(template) for template in rng.sample(KEY_POINT_TEMPLATES, rng.randint(3, 5))]
        return {"type": "key_points", "value": {"title": "要点", "points": points}}, sum(map(len, points))
    if kind == "callout":
        callout_kind, title, text = rng.choice(CALLOUT_TEMPLATES)
        text = filler.fill(text)
        return {"type": "callout", "value": {"kind": callout_kind, "title": title, "text": f"<p>{text}</p>"}}, len(text)
    items = [{"question": filler.fill(question), "answer": f"<p>{filler.fill(answer)}</p>"}
             for question, answer in rng.sample(FAQ_TEMPLATES, rng.randint(2, 3))]
    length = sum(len(item["question"]) + len(item["answer"]) - 7 for item in items)
    return {"type": "faq", "value": {"title": "常见问题", "items": items}}, length


def body_text_length(item: dict[str, Any]) -> int:
    """Characters of text in a generated body, tags left out (for checking the generator)."""
    import re

    text = []
    for block in item["body"]:
        value = block["value"]
        if isinstance(value, str):
            text.append(value)
        elif block["type"] == "key_points":
            text.extend(value["points"])
        elif block["type"] == "callout":
            text.append(value["text"])
        else:
            text.extend(part for faq in value["items"] for part in (faq["question"], faq["answer"]))
    return len(re.sub(r"<[^>]+>", "", "".join(text)))
