//lint:file-ignore ST1018 Persian is written with the zero-width non-joiner; escapes would make it unreadable

package alexa

// The skill's own sentences. Everything said about the sources themselves (an agency's words,
// "I don't know, ask X") comes from the assistant's messages.
const (
	msgWelcome      = "welcome"
	msgAsk          = "ask"
	msgHelp         = "help"
	msgGoodbye      = "goodbye"
	msgRephrase     = "rephrase"
	msgSourcesInApp = "sources_in_app"
	msgAnother      = "another"
	msgUnavailable  = "unavailable"
)

// texts holds the skill's sentences in every language Lots answers in; a test checks that each
// has every key.
var texts = map[string]map[string]string{
	"en": {
		msgWelcome:      "Welcome to Lots. I answer questions about life in Sweden from Swedish agencies' own pages. What would you like to know?",
		msgAsk:          "What would you like to ask? For example: how do I get a personal identity number?",
		msgHelp:         "Ask me a question about life in Sweden, for example how to get a personal identity number or how to register with the employment service. I answer only from Swedish agencies' pages and tell you which agency says it. What would you like to ask?",
		msgGoodbye:      "Goodbye, and good luck in Sweden.",
		msgRephrase:     "Sorry, I did not catch a question. Please ask it again in other words.",
		msgSourcesInApp: "I have put the sources in the Alexa app.",
		msgAnother:      "Do you have another question?",
		msgUnavailable:  "Sorry, I cannot answer right now. Please try again later.",
	},
	"sv": {
		msgWelcome:      "Välkommen till Lots. Jag svarar på frågor om livet i Sverige utifrån svenska myndigheters egna sidor. Vad vill du veta?",
		msgAsk:          "Vad vill du fråga? Till exempel: hur får jag ett personnummer?",
		msgHelp:         "Ställ en fråga om livet i Sverige, till exempel hur du får ett personnummer eller hur du skriver in dig på Arbetsförmedlingen. Jag svarar bara utifrån svenska myndigheters sidor och säger vilken myndighet som skriver det. Vad vill du fråga?",
		msgGoodbye:      "Hej då, och lycka till i Sverige.",
		msgRephrase:     "Förlåt, jag uppfattade ingen fråga. Ställ den gärna igen med andra ord.",
		msgSourcesInApp: "Källorna finns i Alexa-appen.",
		msgAnother:      "Har du en fråga till?",
		msgUnavailable:  "Förlåt, jag kan inte svara just nu. Försök igen senare.",
	},
	"ar": {
		msgWelcome:      "مرحبًا بك في Lots. أجيب عن الأسئلة حول الحياة في السويد من الصفحات الرسمية للجهات الحكومية السويدية. ماذا تريد أن تعرف؟",
		msgAsk:          "ما سؤالك؟ مثلًا: كيف أحصل على رقم شخصي؟",
		msgHelp:         "اسألني عن الحياة في السويد، مثلًا كيف تحصل على رقم شخصي أو كيف تسجّل في مكتب التوظيف. أجيب فقط من صفحات الجهات الحكومية السويدية وأذكر الجهة التي تقول ذلك. ما سؤالك؟",
		msgGoodbye:      "مع السلامة، وبالتوفيق في السويد.",
		msgRephrase:     "عذرًا، لم أفهم سؤالًا. من فضلك اطرحه مرة أخرى بكلمات أخرى.",
		msgSourcesInApp: "وضعتُ المصادر في تطبيق Alexa.",
		msgAnother:      "هل لديك سؤال آخر؟",
		msgUnavailable:  "عذرًا، لا أستطيع الإجابة الآن. من فضلك حاول مرة أخرى لاحقًا.",
	},
	"fa": {
		msgWelcome:      "به Lots خوش آمدید. من به پرسش‌ها درباره زندگی در سوئد از روی صفحه‌های خود سازمان‌های دولتی سوئد پاسخ می‌دهم. چه می‌خواهید بدانید؟",
		msgAsk:          "چه می‌خواهید بپرسید؟ برای نمونه: چگونه شماره شخصی بگیرم؟",
		msgHelp:         "درباره زندگی در سوئد از من بپرسید، برای نمونه چگونه شماره شخصی بگیرید یا چگونه در اداره کار ثبت‌نام کنید. من فقط از روی صفحه‌های سازمان‌های دولتی سوئد پاسخ می‌دهم و می‌گویم کدام سازمان آن را گفته است. چه می‌خواهید بپرسید؟",
		msgGoodbye:      "خدا نگهدار، در سوئد موفق باشید.",
		msgRephrase:     "ببخشید، پرسشی نشنیدم. لطفاً آن را با واژه‌های دیگری دوباره بپرسید.",
		msgSourcesInApp: "منبع‌ها را در برنامه Alexa گذاشته‌ام.",
		msgAnother:      "پرسش دیگری دارید؟",
		msgUnavailable:  "ببخشید، الان نمی‌توانم پاسخ بدهم. لطفاً بعداً دوباره امتحان کنید.",
	},
	"so": {
		msgWelcome:      "Ku soo dhawoow Lots. Waxaan ka jawaabaa su'aalaha ku saabsan nolosha Iswiidhan, anigoo ka duulaya bogagga hay'adaha dowladda Iswiidhan. Maxaad doonaysaa inaad ogaato?",
		msgAsk:          "Maxaad doonaysaa inaad weydiiso? Tusaale ahaan: sideen ku helaa lambarka aqoonsiga shakhsiga?",
		msgHelp:         "I weydii su'aal ku saabsan nolosha Iswiidhan, tusaale ahaan sida loo helo lambarka aqoonsiga shakhsiga ama sida loogu diiwaangasho xafiiska shaqada. Waxaan ka jawaabaa oo keliya bogagga hay'adaha Iswiidhan, waxaanan kuu sheegayaa hay'adda sidaas leh. Maxaad doonaysaa inaad weydiiso?",
		msgGoodbye:      "Nabadgelyo, guul ayaan kuu rajaynayaa Iswiidhan.",
		msgRephrase:     "Waan ka xumahay, ma aanan fahmin su'aal. Fadlan mar kale ku weydii erayo kale.",
		msgSourcesInApp: "Ilaha waxaan dhigay barnaamijka Alexa.",
		msgAnother:      "Ma qabtaa su'aal kale?",
		msgUnavailable:  "Waan ka xumahay, hadda ma jawaabi karo. Fadlan mar dambe isku day.",
	},
	"ti": {
		msgWelcome:      "ናብ Lots እንቋዕ ብደሓን መጻእኩም። ብዛዕባ ናብራ ኣብ ሽወደን ንዝቐርቡ ሕቶታት ካብ ገጻት ትካላት መንግስቲ ሽወደን እምልስ። እንታይ ክትፈልጡ ትደልዩ?",
		msgAsk:          "እንታይ ክትሓቱ ትደልዩ? ንኣብነት፦ ናይ ውልቀ-ሰብ ቁጽሪ ብኸመይ እረክብ?",
		msgHelp:         "ብዛዕባ ናብራ ኣብ ሽወደን ሕተቱኒ፣ ንኣብነት ናይ ውልቀ-ሰብ ቁጽሪ ብኸመይ ከም ትረኽቡ ወይ ኣብ ቤት ጽሕፈት ስራሕ ብኸመይ ከም ትምዝገቡ። ካብ ገጻት ትካላት መንግስቲ ሽወደን ጥራይ እምልስ፣ ዝበሎ ትካል ድማ እነግረኩም። እንታይ ክትሓቱ ትደልዩ?",
		msgGoodbye:      "ደሓን ኩኑ፣ ኣብ ሽወደን ዕዉታት ኩኑ።",
		msgRephrase:     "ይቕሬታ፣ ሕቶ ኣይሰማዕኩን። በጃኹም ብኻልእ ቃላት ደጊምኩም ሕተቱ።",
		msgSourcesInApp: "ምንጭታት ኣብ Alexa ኣፕ ኣቐሚጠዮም ኣለኹ።",
		msgAnother:      "ካልእ ሕቶ ኣለኩም ድዩ?",
		msgUnavailable:  "ይቕሬታ፣ ሕጂ ክምልስ ኣይክእልን እየ። በጃኹም ደሓር ደጊምኩም ፈትኑ።",
	},
	"uk": {
		msgWelcome:      "Ласкаво просимо до Lots. Я відповідаю на запитання про життя у Швеції на основі сторінок шведських державних установ. Що ви хочете дізнатися?",
		msgAsk:          "Що ви хочете запитати? Наприклад: як отримати персональний ідентифікаційний номер?",
		msgHelp:         "Поставте мені запитання про життя у Швеції, наприклад як отримати персональний ідентифікаційний номер або як зареєструватися в службі зайнятості. Я відповідаю лише на основі сторінок шведських державних установ і кажу, яка установа це пише. Що ви хочете запитати?",
		msgGoodbye:      "До побачення і успіхів у Швеції.",
		msgRephrase:     "Вибачте, я не почув запитання. Будь ласка, поставте його ще раз іншими словами.",
		msgSourcesInApp: "Джерела я додав у застосунок Alexa.",
		msgAnother:      "У вас є ще запитання?",
		msgUnavailable:  "Вибачте, зараз я не можу відповісти. Будь ласка, спробуйте пізніше.",
	},
}

// text is the sentence key in lang, or in English when lang has none.
func text(lang, key string) string {
	if t, ok := texts[lang][key]; ok {
		return t
	}
	return texts["en"][key]
}
