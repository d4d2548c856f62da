package process

// startCues are the words that make a question a wish to start something ("I want to", "apply",
// "register") rather than a wish to know something, per language. A question offers a process only
// when it has one of these and one of the process's keywords or is close to one of its examples.
// Every language's cues are tried on every question: people mix languages, and the detected
// language of a short question is a guess. Multi-word cues must appear in order; a cue word of four
// letters or more also matches its inflections (as a prefix).
var startCues = map[string][]string{
	"sv": {"jag vill", "vill ansöka", "vill söka", "vill anmäla", "vill skriva in", "vill registrera",
		"vill ha", "skulle vilja", "ansöka", "ansöker", "anmäla", "anmäler", "registrera mig", "skriva in mig",
		"hjälp mig", "hjälpa mig", "beställa", "börja ansökan", "söka om", "söker om", "ska söka"},
	"en": {"i want", "i wanna", "i would like", "i'd like", "id like", "i wish to", "i need to apply",
		"apply", "applying", "register", "registering", "sign up", "enrol", "enroll", "help me",
		"start my application", "start an application", "i am going to apply", "i'm going to apply"},
	"ar": {"أريد", "اريد", "أود", "أرغب", "ارغب", "بدي", "ابغى", "أبغى", "حاب", "أتقدم", "اتقدم",
		"التقديم", "أقدم طلب", "اقدم طلب", "تقديم طلب", "أسجل", "اسجل", "سجلني", "ساعدني", "أطلب", "اطلب"},
	"fa": {"می\u200cخواهم", "میخواهم", "می خواهم", "می\u200cخوام", "میخوام", "می خوام", "درخواست بدهم", "درخواست بدم",
		"درخواست کنم", "تقاضا کنم", "ثبت\u200cنام کنم", "ثبت نام کنم", "اقدام کنم", "مایلم", "کمکم کنید", "بگیرم"},
	"so": {"waxaan rabaa", "waxaan doonayaa", "rabaa", "doonayaa", "codsado", "codsanayaa", "codsan",
		"iska diiwaangeliyo", "isdiiwaangeliyo", "is diiwaangeliyo", "diiwaangeliso", "diiwaangelisto",
		"i caawi", "i caawiya"},
	"ti": {"ደልየ", "እደሊ", "ይደሊ", "ክሓትት", "ክሓትት እየ", "ክምዝገብ", "ክመዝገብ", "ከመልክት", "ክመልክት",
		"ሓግዙኒ", "ሓግዘኒ"},
	"uk": {"хочу", "хотів би", "хотіла б", "хотіла би", "бажаю", "подати", "подам", "подаю",
		"зареєструватися", "зареєструватись", "зареєструвати", "оформити", "записатися", "записатись",
		"допоможіть", "стати на облік"},
}
