package evals

import (
	"slices"
	"strings"
)

// The vocabulary of the synthetic corpus, written for it: common words of each language, most
// frequent first (passages draw them with a Zipf-like frequency), and topic terms — the same
// concept at the same position in every language, so translations of a page share a topic.

// synthCommon are the common words of each language.
var synthCommon = map[string][]string{
	"sv": fields(`
och i att det som en på är av för med till den har de inte om ett men var jag sig från vi så kan
man när år hon under också efter eller nu sin där vid mot ska skulle kommer ut får finns vara hade
alla andra mycket än här då sedan över bara in blir upp även vad två vill ha många hur mer går
detta nya procent utan sina något svenska allt första fick måste mellan blev bli dag någon några
sitt stora varit dem bland bra tre ta genom del hela annat fram gör ingen stor sätt kunde tid
denna inom dessa gäller behöver ansöka betala ny kontakta information tjänst myndighet person
personer familj land svensk dagar vecka veckor månad månader hjälp fråga frågor svar regler krav
villkor uppgifter dokument handlingar webbplats telefon adress brev post besöka kontor service
möjlighet rätt skyldig belopp pengar kostnad gratis egen eget vanligt viktigt enkelt snabbt senast
tidigare direkt ofta alltid aldrig ibland redan fortfarande ungefär endast välja visa skicka fylla
underteckna bifoga spara logga hitta följa göra ge söka läsa mindre gammal lång nästa sista samma
olika varje båda flera flesta lite hos enligt därför eftersom medan innan tills varför vilken
vilket vilka ingenting själv tillsammans hemma utomlands borta inne ute tidigt sent idag imorgon
igår nummer datum tidpunkt handläggning handläggare ärende väntetid svarstid besked underlag bevis
identitet namn födelsedatum medborgare invånare vuxen vuxna ungdom ungdomar förälder föräldrar
sambo vårdnadshavare ansvar stöd ersättning bidrag lag förordning region staden stad ort län
område plats lokal rum byggnad väg gata buss tåg resa utbildning kurs lärare elev elever studier
studera lära språk ord text sida länk meny inloggning e-post ringa skriva svara vänta börja sluta
fortsätta ändra lägga behålla förlora använda betyda räcka fungera hända stämma kontrollera granska
pröva bedöma godkänna avslå uppgift situation exempel period perioden början slutet vanliga
särskilda särskilt annan annars alltså dock kanske faktiskt bättre bäst sämre längre kortare
högre lägre hela halva hälften helt delvis tydligt samtidigt automatiskt personligen digitalt`),

	"en": fields(`
the of and to a in is it you that he was for on are with as his they be at one have this from or
had by not but what all were we when your can said there use an each which she do how their if
will up other about out many then them these so some her would make like him into time has look
two more write go see number no way could people my than first been call who its now find long
down day did get come made may part need apply pay contact read information service agency person
family country Sweden Swedish days week weeks month months help question questions answer rules
requirements conditions details documents website phone address letter post office visit right
amount money cost free own common important easy quickly latest earlier directly often always
never sometimes already still only choose show send fill sign attach save log follow give search
less new old short next last same different every both either several most few little much must
should also after before during while because however therefore within between under over without
until why whichever something nothing yourself together home abroad inside outside early late
today tomorrow yesterday date processing officer case waiting response reply decision basis proof
identity name birth citizen resident adult adults young youth parent parents partner guardian
responsibility support compensation grant law regulation region city town county area place local
room building road street bus train travel education course teacher student students studies study
learn language word text page link menu login email ring telephone respond wait begin stop continue
change add keep lose mean enough work happen check review assess approve refuse reject task
situation example period beginning end usual special especially another otherwise thus perhaps
actually better best worse longer shorter higher lower whole half fully partly clearly
simultaneously automatically personally digitally online paper printed copy original valid
expired renew register registered required optional possible impossible available unavailable
received sent approved rejected`),

	"ar": fields(`
في من على إلى عن مع هذا هذه التي الذي الذين أن إن كان كانت لا ما هو هي هم نحن أنت أنا كل بعد قبل
عند بين حتى أو ثم لكن إذا قد لم لن هل كيف متى أين لماذا يجب يمكن يكون تكون عليك لديك يحتاج تحتاج
الحصول تقديم دفع الاتصال قراءة معلومات خدمة الجهة شخص أشخاص عائلة أسرة البلد السويد السويدية يوم
أيام أسبوع أسابيع شهر أشهر سنة سنوات مساعدة سؤال أسئلة جواب قواعد شروط متطلبات بيانات وثائق مستندات
الموقع الإلكتروني هاتف عنوان رسالة بريد مكتب زيارة حق مبلغ مال تكلفة مجاني خاص مهم سهل بسرعة
مباشرة غالبا دائما أبدا أحيانا بالفعل فقط اختيار إرسال ملء توقيع إرفاق حفظ البحث اتباع إعطاء أكثر
أقل جديد قديم طويل قصير التالي الأخير نفس مختلف كلا عدة معظم قليل كثير لذلك لأن بينما حيث أيضا جدا
هنا هناك اليوم غدا أمس الآن أول ثاني ثالث واحد اثنان ثلاثة أربعة خمسة كبير صغير جيد سيئ وضع مسألة
جزء الحكومة مدينة منطقة مكان منزل طريق حافلة قطار سفر تعليم معلم طالب طلاب لغة كلمة نص صفحة
الدخول البريد اتصل اكتب أجب انتظر ابدأ توقف استمر تغيير أخذ استخدام معرفة فهم متابعة تأكد قبول
رفض حماية ينبغي يستطيع تستطيع يمكنك عليكم لديكم تحتاجون يتم تم سوف وفقا خلال حول دون ضمن أمام خلف
فوق تحت وقت ساعة دقيقة رقم اسم تاريخ الميلاد مواطن مقيم بالغ شاب الوالدين رجل امرأة مسؤولية دعم
تعويض قانون نظام إجراءات المعالجة موظف ملف انتظار رد نتيجة إثبات هوية السلطة المحلية الإقليم
المقاطعة الخدمات الرقمية الورقية نسخة أصلية صالحة منتهية تجديد مطلوب اختياري ممكن متاح غير استلام
وصل بعض أي عندما كما مثل أكبر أصغر أفضل أسوأ جميع بعض الأولى الثانية خاصة عامة يوميا شهريا سنويا`),

	"fa": fields(`
و در به از که این را با است برای آن یک خود تا کرد بر هم نیز شود شده می بود کند باید یا اما اگر چه
چون هر دیگر همه پس بعد قبل بین بدون روی زیر بالا کنید دارید دارد کنند شما ما آنها من او ایشان
اینجا آنجا امروز فردا دیروز اکنون حالا اول دوم سوم دو سه چهار پنج بزرگ کوچک خوب بد وضعیت موضوع
بخش دولت شهر منطقه جا خانه راه اتوبوس قطار سفر آموزش دوره معلم دانش آموز زبان کلمه متن صفحه ورود
ایمیل تماس بنویسید پاسخ صبر شروع توقف ادامه تغییر گرفتن استفاده دانستن فهمیدن کمک پیگیری اطمینان
پذیرش حفظ می توانید می توان بتوانید دریافت پرداخت اطلاعات خدمات سازمان فرد افراد خانواده کشور
سوئد سوئدی روز روزها هفته هفته ها ماه ماه ها سال سال ها سؤال سؤالات جواب قوانین شرایط الزامات
مشخصات مدارک اسناد وب سایت تلفن نشانی نامه پست دفتر مراجعه حق مبلغ پول رایگان خاص مهم آسان سریع
مستقیم اغلب همیشه هرگز گاهی قبلاً هنوز فقط انتخاب ارسال پر امضا پیوست ذخیره جستجو دنبال دادن
بیشتر کمتر جدید قدیمی طولانی کوتاه بعدی آخرین همان متفاوت چند کم زیاد بنابراین زیرا وقتی کجا
چرا چگونه چطور کی کسی زمان ساعت دقیقه نام تاریخ تولد شهروند ساکن بزرگسال جوان والدین مرد زن
مسئولیت حمایت غرامت قانون سیستم روند رسیدگی کارمند پرونده انتظار نتیجه مدرک هویت باشد باشید
هستید هستند نیست نیستید داشته خواهد خواهید می شود می کنید بگیرید محلی استان دیجیتال کاغذی نسخه
اصلی معتبر منقضی تمدید لازم اختیاری ممکن موجود برخی هیچ مانند مثل بهتر بدتر تمام عمومی روزانه
ماهانه سالانه معمولاً ویژه مخصوصاً دیگری وگرنه شاید واقعاً کامل بخشی روشن همزمان خودکار شخصاً
حضوری آنلاین چاپی کپی ثبت شده ضروری امکان پذیر`),

	"so": fields(`
waa iyo ee oo ku ka u la in ah aan ay uu waxa waxaa kale si haddii markii sida laga loo lagu kuu
kaa ayaa ayuu ayay noqon karaa kartaa karto jira jirto tahay yahay yihiin sidoo hadda maalin maalmo
toddobaad bil bilood sannad sannado caawimo su'aal su'aalo jawaab xeerar shuruud macluumaad
dukumiintiyo bogga internetka taleefan cinwaan warqad xafiis booqasho xaq lacag kharash bilaash
muhiim fudud dhakhso toos badan had jeer marna mararka qaarkood horay weli kaliya dooro dir buuxi
saxiix lifaaq kaydi gal raadi raac sii yar cusub dheer gaaban xiga dambeeya mid duwan walba labada
dhowr dadka qof qofka qoys qoyska dal dalka iswiidhan iswiidhishka hay'adda adeeg adeegga hel helo
bixi bixiso codso xiriir akhri ogow ogaan waqti saacad daqiiqad magac taariikh dhalasho muwaadin
deggane weyn dhallinyaro waalid waalidiinta nin naag mas'uuliyad taageero magdhow xeer dowlad
magaalo gobol meel waddo bas tareen safar waxbarasho macallin arday ardayda luqad eray qoraal bog
iimayl wac qor sug bilow jooji wad beddel qaado isticmaal garo fahan caawi hubi aqbal diid ilaali
inaad waxaad waxay wuxuu waxaan haddaba sababtoo maxaa yeelay laakiin ama mise kadib kahor ilaa
saabsan la'aan jiro maaha ma ha aad ayaad ayaan annaga idinka iyaga aniga isaga iyada halkan
halkaas maanta berri shalay hore koowaad labaaad saddexaad hal laba saddex afar shan fiican xun
xaalad arrin qayb degmo goobta xafiiska dijitaal warqadda nuqul asal ansax dhacay cusboonaysii
diiwaangeli loo baahan yahay ikhtiyaari suurtagal diyaar qaar kasta sida weyn ka fiican ka xun
dhammaan guud maalin walba bil walba sannad walba caadi gaar ahaan mid kale haddii kale malaha
dhab ahaantii dhammaystiran qayb ahaan cad isla markaas si toos ah shakhsi ahaan online daabacan
lagama maarmaan xilli bilowga dhammaadka tusaale hawl ujeedo sabab natiijo baaritaan warbixin`),

	"ti": fields(`
ኣብ ናይ ናብ ካብ ምስ እዩ እያ እዮም ኢና ኢኹም እዚ እዚኣ እቲ እታ እቶም እተን ዝኾነ ኩሉ ኩሎም ከም ግን ወይ
እንተ ድሕሪ ቅድሚ ክሳብ ብዛዕባ ብዘይ የለን ኣሎ ኣለዉ ኣለኩም ትኽእሉ ክትከፍሉ ክትሓቱ ክትረኽቡ ምርካብ
ምኽፋል ምሕታት ሓበሬታ ኣገልግሎት ትካል ሰብ ሰባት ስድራ ሃገር ሽወደን ሽወደንኛ መዓልቲ መዓልታት ሰሙን
ሰሙናት ወርሒ ኣዋርሕ ዓመት ዓመታት ሓገዝ ሕቶ ሕቶታት መልሲ ሕጊ ሕግታት ረቛሒታት ሰነድ ሰነዳት መርበብ
ተሌፎን ኣድራሻ ደብዳበ ቤት ጽሕፈት ምብጻሕ መሰል ገንዘብ ዋጋ ብናጻ ኣገዳሲ ቀሊል ብቕልጡፍ ብቐጥታ ብዙሕ
ግዜ ፈጺሙ ድሮ ገና ጥራይ ምምራጽ ምልኣኽ ምምላእ ምፍራም ምሕላው ምድላይ ምስዓብ ምሃብ ዝያዳ ውሑድ ሓድሽ
ነዊሕ ሓጺር ዝቕጽል መወዳእታ ዝተፈላለየ ነፍሲ ወከፍ ክልቲኡ ብዙሓት ሒደት ስለዚ ምኽንያቱ እንተኾነ ኾይኑ
ይኹን እምበር ከምኡ ውን ንስኻ ንስኺ ንስኹም ንሕና ኣነ ንሱ ንሳ ንሳቶም ናትኩም ናትና ኣብዚ ኣብኡ ሎሚ ጽባሕ
ትማሊ ሕጂ ቀዳማይ ካልኣይ ሳልሳይ ሓደ ክልተ ሰለስተ ኣርባዕተ ሓሙሽተ ዓቢ ንእሽቶ ጽቡቕ ሕማቕ ኩነታት ጉዳይ
ኣካል መንግስቲ ከተማ ዞባ ቦታ ገዛ መገዲ ኣውቶቡስ ባቡር ጉዕዞ ትምህርቲ ኮርስ መምህር ተምሃራይ ተምሃሮ ቋንቋ
ቃል ጽሑፍ ገጽ ምእታው ኢመይል ምድዋል ምጽሓፍ ምምላስ ምጽባይ ምጅማር ምቁራጽ ምቕጻል ምቕያር ምውሳድ ምጥቃም
ምፍላጥ ምርዳእ ምሕጋዝ ምክትታል ምርግጋጽ ምቕባል ምንጻግ ምዕቃብ ይግባእ ይኽእል ክኸውን ክትገብሩ ትገብሩ
ይገብሩ ገይሩ ዝገበረ ዝወሃብ ዝኸፈለ ተመዝጊቡ ዝተመዝገበ ዘድልዩ የድልየኩም ኣድላዪ ግድን ብመንገዲ ብዘይካ
እዋን ሰዓት ደቒቕ ስም ዕለት ልደት ዜጋ ነባሪ መንእሰይ ወለዲ ሰብኣይ ሰበይቲ ሓላፍነት ደገፍ ካሕሳ ኣብያተ
ምምሕዳር ዲጂታላዊ ወረቐት ቅዳሕ ኦሪጅናል ዝሰርሕ ዝኣኸለ ምሕዳስ ዘየድሊ ዝከኣል ዝርከብ ገለ ዝኾነ ከምቲ
ዝበለጸ ዝሓሸ ኩሎም ሓፈሻዊ መዓልታዊ ወርሓዊ ዓመታዊ ልሙድ ፍሉይ ብፍላይ ካልእ እንተዘይኮይኑ ምናልባት
ብሓቂ ምሉእ ብኸፊል ንጹር ብሓባር ብኣካል ብመስመር ዝተሓትመ ኣገዳሲ ዝተወሰነ መጀመርታ ኣብነት ዕማም
ምኽንያት ውጽኢት ምርመራ ጸብጻብ ዝተቐበለ ዝተነጽገ ዝተላእከ`),

	"uk": fields(`
і в на з що не як до це та за від він вона вони ми ви я у по але або якщо коли де чому також вже ще
тільки дуже можна треба потрібно має мати бути є був була буде всі кожен інший новий нова нові день
дні тиждень тижні місяць місяці рік роки допомога питання відповідь правила вимоги умови дані
документи сайт телефон адреса лист пошта офіс відвідати право сума гроші вартість безкоштовно
власний важливо легко швидко прямо часто завжди ніколи іноді досі лише вибрати надіслати заповнити
підписати додати зберегти увійти знайти слідувати дати більше менше старий довгий короткий
наступний останній самий різний обидва кілька більшість мало багато тому оскільки поки перед після
під над між без через для про при біля навколо щодо згідно протягом тут там сьогодні завтра вчора
зараз перший другий третій один два три чотири п'ять великий малий добрий поганий ситуація справа
частина уряд місто область місце дім дорога автобус поїзд подорож освіта курс вчитель учень учні
мова слово текст сторінка вхід електронна зателефонувати написати чекати почати зупинити продовжити
змінити взяти використовувати знати розуміти допомогти перевірити прийняти відхилити захистити
можете повинні потрібен отримати подати сплатити звернутися прочитати інформація послуга установа
особа особи сім'я країна швеція шведська час година хвилина номер ім'я дата народження громадянин
мешканець дорослий молодь батьки чоловік жінка відповідальність підтримка компенсація закон система
процедура розгляд працівник очікування результат доказ який яка яке які свій своє наш ваш їх його
її місцевий цифровий паперовий копія оригінал дійсний прострочений продовжити обов'язковий
необов'язковий можливий доступний деякі жоден як-от кращий гірший загальний щодня щомісяця щороку
зазвичай особливий особливо інакше мабуть справді повністю частково чітко одночасно автоматично
особисто онлайн друкований зареєстрований необхідний початок кінець приклад завдання причина
перевірка звіт отриманий відправлений схвалений відхилений`),
}

// synthTerms are topic terms: position i is the same concept in every language.
var synthTerms = map[string][]string{
	"sv": lines(`personnummer
samordningsnummer
id-kort
skatt
uppehållstillstånd
arbetstillstånd
medborgarskap
pass
sjukvård
tandläkare
vaccination
apotek
skola
förskola
sfi
universitet
arbete
lön
arbetslöshet
arbetsgivare
bostad
hyra
lägenhet
flytt
bankkonto
körkort
barnbidrag
föräldrapenning
sjukpenning
pension
tolk
kommun
ansökan
beslut
överklagande
avgift
blankett
bokning
intyg
anhöriginvandring
asyl
försäkring
skuld
inkomst
deklaration
folkbokföring
äktenskap
barn
läkare
akut`),
	"en": lines(`personal identity number
coordination number
identity card
tax
residence permit
work permit
citizenship
passport
healthcare
dentist
vaccination
pharmacy
school
preschool
Swedish course
university
job
salary
unemployment
employer
housing
rent
apartment
moving
bank account
driving licence
child allowance
parental benefit
sickness benefit
pension
interpreter
municipality
application
decision
appeal
fee
form
appointment
certificate
family reunification
asylum
insurance
debt
income
tax return
population register
marriage
child
doctor
emergency`),
	"ar": lines(`الرقم الشخصي
رقم التنسيق
بطاقة الهوية
الضريبة
تصريح الإقامة
تصريح العمل
الجنسية
جواز السفر
الرعاية الصحية
طبيب الأسنان
التطعيم
الصيدلية
المدرسة
الروضة
دورة اللغة
الجامعة
العمل
الراتب
البطالة
صاحب العمل
السكن
الإيجار
الشقة
الانتقال
الحساب المصرفي
رخصة القيادة
إعانة الأطفال
إعانة الوالدين
إعانة المرض
التقاعد
المترجم
البلدية
الطلب
القرار
الاستئناف
الرسوم
الاستمارة
الموعد
الشهادة
لم الشمل
اللجوء
التأمين
الدين
الدخل
الإقرار الضريبي
التسجيل السكاني
الزواج
الطفل
الطبيب
الطوارئ`),
	"fa": lines(`شماره شخصی
شماره هماهنگی
کارت شناسایی
مالیات
اجازه اقامت
اجازه کار
تابعیت
گذرنامه
خدمات درمانی
دندانپزشک
واکسن
داروخانه
مدرسه
کودکستان
کلاس زبان
دانشگاه
کار
حقوق
بیکاری
کارفرما
مسکن
اجاره
آپارتمان
اسباب کشی
حساب بانکی
گواهینامه رانندگی
کمک هزینه فرزند
کمک هزینه والدین
کمک هزینه بیماری
بازنشستگی
مترجم
شهرداری
درخواست
تصمیم
اعتراض
هزینه
فرم
وقت ملاقات
گواهی
پیوستن خانواده
پناهندگی
بیمه
بدهی
درآمد
اظهارنامه مالیاتی
ثبت احوال
ازدواج
کودک
پزشک
اورژانس`),
	"so": lines(`lambarka shakhsiga
lambarka isku-duwidda
kaarka aqoonsiga
canshuurta
sharciga deganaanshaha
ruqsadda shaqada
dhalashada
baasaboor
daryeelka caafimaadka
dhakhtarka ilkaha
tallaalka
farmashiyaha
dugsiga
xannaanada
koorsada luqadda
jaamacadda
shaqo
mushahar
shaqo la'aan
loo-shaqeeyaha
guri
kirada
abaartamenti
u guurid
akoon bangi
liisanka darawalnimada
lacagta carruurta
lacagta waalidka
lacagta jirada
hawlgab
turjubaan
degmada
codsi
go'aan
racfaan
khidmad
foom
ballan
shahaado
midowga qoyska
magangelyo
caymis
deyn
dakhli
ku-dhawaaqidda canshuurta
diiwaangelinta dadweynaha
guur
ilmo
dhakhtar
degdeg`),
	"ti": lines(`መለለዪ ቁጽሪ
ናይ ምውህሃድ ቁጽሪ
ናይ መንነት ካርድ
ግብሪ
ፍቓድ መንበሪ
ፍቓድ ስራሕ
ዜግነት
ፓስፖርት
ክንክን ጥዕና
ሓኪም ስኒ
ክታበት
ፋርማሲ
ቤት ትምህርቲ
መውዓሊ ህጻናት
ትምህርቲ ቋንቋ
ዩኒቨርሲቲ
ስራሕ
ደሞዝ
ስራሕ ኣልቦነት
ኣስራሒ
መንበሪ ገዛ
ክራይ
ኣፓርትመንት
ምግዓዝ
ናይ ባንኪ ሕሳብ
መንጃ ፍቓድ
ደገፍ ቆልዑ
ደገፍ ወለዲ
ደገፍ ሕማም
ጡረታ
ተርጓሚ
ምምሕዳር ከተማ
መመልከቲ
ውሳነ
ይግባይ
ክፍሊት
ቅጥዒ
ቆጸራ
ምስክር ወረቐት
ምትእኽኻብ ስድራ
ዑቕባ
መድሕን
ዕዳ
እቶት
ጸብጻብ ግብሪ
ምዝገባ ህዝቢ
መርዓ
ቆልዓ
ሓኪም
ህጹጽ`),
	"uk": lines(`персональний номер
координаційний номер
посвідчення особи
податок
дозвіл на проживання
дозвіл на роботу
громадянство
паспорт
медична допомога
стоматолог
вакцинація
аптека
школа
дитячий садок
мовний курс
університет
робота
зарплата
безробіття
роботодавець
житло
оренда
квартира
переїзд
банківський рахунок
водійське посвідчення
допомога на дітей
батьківська допомога
лікарняні
пенсія
перекладач
муніципалітет
заява
рішення
оскарження
збір
бланк
запис на прийом
довідка
возз'єднання сім'ї
притулок
страхування
борг
дохід
податкова декларація
реєстрація населення
шлюб
дитина
лікар
невідкладна допомога`),
}

// synthAgencies publish the synthetic pages: a URL path and a name.
var synthAgencies = [][2]string{
	{"skatteverket", "Skatteverket"},
	{"migrationsverket", "Migrationsverket"},
	{"forsakringskassan", "Försäkringskassan"},
	{"arbetsformedlingen", "Arbetsförmedlingen"},
	{"1177", "1177 Vårdguiden"},
	{"transportstyrelsen", "Transportstyrelsen"},
	{"csn", "CSN"},
	{"informationsverige", "Länsstyrelserna – Information Sverige"},
	{"polisen", "Polisen"},
}

// fields splits a word list, keeping the first of any repeated word.
func fields(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// lines splits a list of terms that may have several words, one term a line.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
