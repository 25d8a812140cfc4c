package schedule

// The IANA time zone database is embedded so that Timezone names resolve the
// same on every host, including minimal containers without /usr/share/zoneinfo.
import _ "time/tzdata"
