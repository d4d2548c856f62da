package retrieval

import (
	"strings"
	"testing"
)

// TestDetectLanguage checks a sentence in each supported language, Persian
// against Arabic, and texts the detector must not be confident about.
func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		name          string
		text          string
		wantLang      string
		wantConfident bool
	}{
		{"Swedish", "Du som har flyttat till Sverige behöver folkbokföra dig hos Skatteverket. När du är folkbokförd får du ett personnummer som används i kontakt med myndigheter, banker och vården.", "sv", true},
		{"Swedish, Danish-looking", "Arbetsförmedlingen hjälper dig att hitta jobb i Sverige.", "sv", true},
		{"English", "If you have moved to Sweden, you need to register with the Swedish Tax Agency. Once you are registered you receive a personal identity number that is used by authorities, banks and healthcare.", "en", true},
		{"Arabic", "إذا انتقلت إلى السويد، يجب عليك التسجيل لدى مصلحة الضرائب. بعد التسجيل تحصل على رقم هوية شخصي يستخدم في التعامل مع السلطات والبنوك والرعاية الصحية.", "ar", true},
		{"Persian", "اگر به سوئد نقل مکان کرده\u200cاید، باید نزد اداره مالیات ثبت نام کنید. پس از ثبت نام یک شماره شناسایی شخصی دریافت می\u200cکنید که در ارتباط با ادارات، بانک\u200cها و خدمات درمانی استفاده می\u200cشود.", "fa", true},
		{"Arabic, short", "يجب عليك التسجيل لدى مصلحة الضرائب السويدية.", "ar", true},
		{"Persian, short", "شما باید نزد اداره مالیات سوئد ثبت نام کنید.", "fa", true},
		{"Somali", "Haddii aad u soo guurtay Iswiidhan, waa inaad iska diiwaangelisaa Hay'adda Canshuuraha. Markaad diiwaangashan tahay waxaad heleysaa lambarka aqoonsiga shakhsiga ah oo loo isticmaalo hay'adaha dowladda, bangiyada iyo daryeelka caafimaadka.", "so", true},
		{"Tigrinya", "ናብ ሽወደን እንተ ገዒዝካ፡ ኣብ ቤት ጽሕፈት ግብሪ ክትምዝገብ ኣለካ። ድሕሪ ምምዝጋብካ ምስ መንግስታዊ ትካላት፡ ባንክታትን ክንክን ጥዕናን ትጥቀመሉ ውልቃዊ መለለዪ ቁጽሪ ትረክብ።", "ti", true},
		{"Ukrainian", "Якщо ви переїхали до Швеції, вам потрібно зареєструватися в Податковому управлінні. Після реєстрації ви отримаєте персональний ідентифікаційний номер, який використовується в органах влади, банках і медичних закладах.", "uk", true},
		{"Russian is not Ukrainian", "Если вы переехали в Швецию, вам нужно зарегистрироваться в Налоговом управлении. После регистрации вы получите личный идентификационный номер.", "uk", false},
		{"Amharic is not Tigrinya", "ኢትዮጵያ አፍሪቃ ውስጥ ናት። ወደ ስዊድን ከተዛወሩ በግብር ቢሮ መመዝገብ አለብዎት።", "ti", false},
		{"German is not Swedish", "Wenn Sie nach Schweden gezogen sind, müssen Sie sich beim Finanzamt anmelden.", "sv", false},
		{"short Swedish", "Anmäl flytt", "sv", false},
		{"short and wrong", "Kontakta oss", "so", false},
		{"empty", "", "", false},
		{"digits only", "0771-567 567, 08-123 45 67", "", false},
		{"unsupported script", "瑞典税务局负责人口登记和个人身份号码的发放工作。", "", false},
		{"long text is clipped", strings.Repeat("Du behöver ett personnummer för att öppna ett bankkonto. ", 10_000), "sv", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lang, confident := DetectLanguage(tt.text)
			if lang != tt.wantLang || confident != tt.wantConfident {
				t.Errorf("DetectLanguage = %q, %v; want %q, %v", lang, confident, tt.wantLang, tt.wantConfident)
			}
		})
	}
}
