package process

import "strconv"

// numberWords are the numbers one to ten as words, in every supported language (Ukrainian with its
// collective forms, used with children: "троє дітей").
var numberWords = func() map[string]int {
	lists := [][]string{
		{"one", "ett", "ett", "واحد", "واحدة", "یک", "yek", "hal", "kow", "ሓደ", "один", "одна", "одне", "одну"},
		{"two", "två", "اثنان", "اثنين", "اثنتان", "دو", "laba", "ክልተ", "два", "дві", "двоє"},
		{"three", "tre", "ثلاثة", "ثلاث", "سه", "saddex", "ሰለስተ", "три", "троє"},
		{"four", "fyra", "أربعة", "أربع", "چهار", "afar", "ኣርባዕተ", "чотири", "четверо"},
		{"five", "fem", "خمسة", "خمس", "پنج", "shan", "ሓሙሽተ", "п'ять", "п’ять", "п'ятеро", "п’ятеро"},
		{"six", "sex", "ستة", "ست", "شش", "lix", "ሽዱሽተ", "шість", "шестеро"},
		{"seven", "sju", "سبعة", "سبع", "هفت", "toddoba", "ሸውዓተ", "сім", "семеро"},
		{"eight", "åtta", "ثمانية", "ثماني", "ثمان", "هشت", "siddeed", "ሸሞንተ", "вісім", "восьмеро"},
		{"nine", "nio", "تسعة", "تسع", "نه", "sagaal", "ትሽዓተ", "дев'ять", "дев’ять", "дев'ятеро"},
		{"ten", "tio", "عشرة", "عشر", "ده", "toban", "ዓሰርተ", "десять", "десятеро"},
	}
	m := map[string]int{}
	for i, words := range lists {
		for _, w := range words {
			m[fold(w)] = i + 1
		}
	}
	return m
}()

// childNouns are the words for children that follow (or, in Somali, may precede) a number.
var childNouns = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"child", "children", "kids", "kid", "sons", "daughters", // en
		"barn", "barnen", "ungar", // sv
		"أطفال", "طفل", "اطفال", "أولاد", "اولاد", "أبناء", "ابناء", "ولد", // ar
		"فرزند", "بچه", "فرزندان", "بچه\u200cها", // fa
		"carruur", "caruur", "carruurta", "caruurta", "ilmo", "ilmood", "caruurood", // so
		"ቆልዑ", "ውላድ", "ደቂ", "ህጻናት", // ti
		"дітей", "дитини", "діти", "дитина", "дитину", "дитя", // uk
	} {
		m[fold(w)] = true
	}
	return m
}()

// dualChildren are Arabic dual forms: "two children" in one word.
var dualChildren = map[string]bool{fold("طفلين"): true, fold("طفلان"): true, fold("ولدين"): true,
	fold("ولدان"): true, fold("ابنين"): true, fold("ابنان"): true}

// childFillers may stand between the number and the noun: Persian "سه تا بچه", "two young children",
// "två små barn", "троє маленьких дітей".
var childFillers = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"تا", "young", "small", "little", "små", "маленьких", "малих"} {
		m[fold(w)] = true
	}
	return m
}()

type foundCount struct {
	n          int
	start, end int
}

// findChildren finds "three children" and its forms in every supported language.
func findChildren(words []span) []foundCount {
	var out []foundCount
	number := func(w string) (int, bool) {
		if n, ok := numberWords[w]; ok {
			return n, true
		}
		n, err := strconv.Atoi(w)
		return n, err == nil && n >= 0 && n <= 30
	}
	for i, w := range words {
		if dualChildren[w.norm] {
			out = append(out, foundCount{n: 2, start: w.start, end: w.end})
			continue
		}
		n, ok := number(w.norm)
		if !ok {
			continue
		}
		j := i + 1
		if j < len(words) && childFillers[words[j].norm] {
			j++
		}
		if j < len(words) && childNouns[words[j].norm] {
			out = append(out, foundCount{n: n, start: w.start, end: words[j].end})
			continue
		}
		// Somali puts the number after the noun: "carruur saddex ah".
		if i > 0 && childNouns[words[i-1].norm] {
			out = append(out, foundCount{n: n, start: words[i-1].start, end: w.end})
		}
	}
	return out
}
