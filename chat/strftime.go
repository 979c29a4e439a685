package chat

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// strftime formats t as Python's time.strftime does for the directives
// chat templates use (%Y %m %d %e %H %I %M %S %p %b %B %a %A %y %j %Z %%);
// others are kept as written.
func strftime(t time.Time, format string) string {
	var b strings.Builder
	two := func(n int) { b.WriteString(pad(n, 2)) }
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		if layout, ok := goLayouts[format[i]]; ok {
			b.WriteString(t.Format(layout))
			continue
		}
		switch format[i] {
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'y':
			two(t.Year() % 100)
		case 'm':
			two(int(t.Month()))
		case 'd':
			two(t.Day())
		case 'e':
			b.WriteString(fmt.Sprintf("%2d", t.Day()))
		case 'j':
			b.WriteString(pad(t.YearDay(), 3))
		case 'H':
			two(t.Hour())
		case 'I':
			two((t.Hour()+11)%12 + 1)
		case 'M':
			two(t.Minute())
		case 'S':
			two(t.Second())
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

// goLayouts are the directives Go's time layout spells directly.
var goLayouts = map[byte]string{'p': "PM", 'b': "Jan", 'B': "January", 'a': "Mon", 'A': "Monday", 'Z': "MST"}

// pad writes n in decimal with leading zeros to width w.
func pad(n, w int) string {
	s := strconv.Itoa(n)
	for len(s) < w {
		s = "0" + s
	}
	return s
}
