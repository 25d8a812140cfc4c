package schedule

import "time"

// wall is a wall-clock minute, independent of any time zone.
type wall struct{ y, mo, d, h, mi int }

func wallOf(t time.Time) wall {
	return wall{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute()}
}

func (w wall) utc() time.Time {
	return time.Date(w.y, time.Month(w.mo), w.d, w.h, w.mi, 0, 0, time.UTC)
}

// maxSteps bounds Next's loop. Each step either returns or steps over one
// matching wall-clock minute that does not exist in the time zone or falls
// at or before t, which only happens within a day's clock change.
const maxSteps = 10000

// Next returns the first wall-clock minute in loc strictly after t that
// matches the expression, skipping minutes the clocks skip and running the
// minutes they repeat once, at their first occurrence.
func (c *Cron) Next(t time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	w := wallOf(t.In(loc))
	// Mapping a wall time to its first occurrence is monotonic, so no wall
	// time before t's can map to an instant after t.
	for range maxSteps {
		m, ok := c.nextWall(w)
		if !ok {
			return time.Time{}, false
		}
		if at, ok := resolve(m, loc); ok && at.After(t) {
			return at, true
		}
		w = wallOf(m.utc().Add(time.Minute))
	}
	return time.Time{}, false
}

// nextWall returns the first wall-clock minute at or after w matching the
// expression, jumping over years, months, days and hours that cannot match.
func (c *Cron) nextWall(w wall) (wall, bool) {
	if w.y < minYear {
		w = wall{minYear, 1, 1, 0, 0}
	}
	for y := w.y; y <= maxYear; y++ {
		if !c.years.has(y - minYear) {
			w = wall{y + 1, 1, 1, 0, 0}
			continue
		}
		for mo := w.mo; mo <= 12; mo++ {
			if !c.months.has(mo - 1) {
				w = wall{y, mo + 1, 1, 0, 0}
				continue
			}
			last := daysIn(y, mo)
			for d := w.d; d <= last; d++ {
				if !c.dayMatches(y, mo, d, last) {
					w = wall{y, mo, d + 1, 0, 0}
					continue
				}
				if h, mi, ok := c.firstTime(w.h, w.mi); ok {
					return wall{y, mo, d, h, mi}, true
				}
				w = wall{y, mo, d + 1, 0, 0}
			}
			w = wall{y, mo + 1, 1, 0, 0}
		}
		w = wall{y + 1, 1, 1, 0, 0}
	}
	return wall{}, false
}

// firstTime returns the first hour and minute at or after h:mi that match.
func (c *Cron) firstTime(h, mi int) (int, int, bool) {
	for ; h < 24; h, mi = h+1, 0 {
		if !c.hours.has(h) {
			continue
		}
		for ; mi < 60; mi++ {
			if c.minutes.has(mi) {
				return h, mi, true
			}
		}
	}
	return 0, 0, false
}

// dayMatches reports whether day d of month mo of year y (a month of last
// days) matches day-of-month and day-of-week; one of them is ?.
func (c *Cron) dayMatches(y, mo, d, last int) bool {
	switch c.dom.kind {
	case domSet:
		if !c.dom.set.has(d - 1) {
			return false
		}
	case domLast:
		if d != last {
			return false
		}
	case domLastWeekday:
		if d != nearestWeekday(y, mo, last, last) {
			return false
		}
	case domNearWeekday:
		if c.dom.n > last || d != nearestWeekday(y, mo, c.dom.n, last) {
			return false
		}
	}
	if c.dow.kind == dowAny {
		return true
	}
	wd := int(weekday(y, mo, d)) + 1 // 1 = Sunday
	switch c.dow.kind {
	case dowSet:
		return c.dow.set.has(wd - 1)
	case dowLast:
		return wd == c.dow.day && d+7 > last
	case dowNth:
		return wd == c.dow.day && (d-1)/7+1 == c.dow.nth
	}
	return true
}

// nearestWeekday returns the Monday-Friday day nearest day n of the month,
// staying within the month.
func nearestWeekday(y, mo, n, last int) int {
	switch weekday(y, mo, n) {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

func weekday(y, mo, d int) time.Weekday {
	return time.Date(y, time.Month(mo), d, 12, 0, 0, 0, time.UTC).Weekday()
}

func daysIn(y, mo int) int {
	return time.Date(y, time.Month(mo)+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// resolve returns the earliest instant whose wall clock in loc reads w, or
// false when the clocks skip w.
func resolve(w wall, loc *time.Location) (time.Time, bool) {
	u := w.utc().Unix()
	var best time.Time
	found := false
	for _, off := range offsetsNear(u, loc) {
		t := time.Unix(u-int64(off), 0).In(loc)
		if wallOf(t) == w && t.Second() == 0 && (!found || t.Before(best)) {
			best, found = t, true
		}
	}
	return best, found
}

// skipped returns the instant for a wall time w the clocks skip in loc: w
// read with the offset in force before the jump.
func skipped(w wall, loc *time.Location) time.Time {
	u := w.utc().Unix()
	_, before := time.Unix(u-86400, 0).In(loc).Zone()
	return time.Unix(u-int64(before), 0).In(loc)
}

// offsetsNear returns loc's UTC offsets around the instants a wall time u
// (seconds, read as UTC) can denote: any instant is within a day of u, and
// offsets change at most once in a day.
func offsetsNear(u int64, loc *time.Location) []int {
	var offs []int
	for _, probe := range []int64{u - 86400, u, u + 86400} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		dup := false
		for _, o := range offs {
			dup = dup || o == off
		}
		if !dup {
			offs = append(offs, off)
		}
	}
	return offs
}
