package registry

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// blobStore keeps content-addressed blobs on the filesystem, shared by every
// repository:
//
//	dir/blobs/<alg>/<first two hex digits>/<hex>   complete, verified blobs
//	dir/uploads/<id>/data                           an upload's bytes so far
//	dir/uploads/<id>/state                          its repository, offset and hash state
//
// A blob appears under blobs/ only by rename(2) of a fully written, fsynced
// and verified upload file, so a reader never sees a partial blob, whatever
// happens to the process.
type blobStore struct {
	dir string
	mu  sync.Mutex // serialises writes to one upload (keyed below)
	ups map[string]*sync.Mutex
}

func newBlobStore(dir string) (*blobStore, error) {
	for _, d := range []string{"blobs", "uploads"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("create registry dir: %w", err)
		}
	}
	return &blobStore{dir: dir, ups: map[string]*sync.Mutex{}}, nil
}

// blobPath is where the blob with digest d lives. d must be valid.
func (b *blobStore) blobPath(d digest) string {
	return filepath.Join(b.dir, "blobs", d.alg, d.hex[:2], d.hex)
}

// stat returns the size of blob d, or errBlobMissing.
func (b *blobStore) stat(d digest) (int64, error) {
	fi, err := os.Stat(b.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, errBlobMissing
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// open opens blob d for reading.
func (b *blobStore) open(d digest) (*os.File, error) {
	f, err := os.Open(b.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errBlobMissing
	}
	return f, err
}

// read returns the bytes of a small blob (a manifest).
func (b *blobStore) read(d digest) ([]byte, error) {
	data, err := os.ReadFile(b.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errBlobMissing
	}
	return data, err
}

// put stores data as a blob with digest d (the caller verified it).
func (b *blobStore) put(d digest, data []byte) error {
	if _, err := b.stat(d); err == nil {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Join(b.dir, "uploads"), "put-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	return b.commit(tmp, d)
}

// commit fsyncs f, closes it and renames it to blob d's path.
func (b *blobStore) commit(f *os.File, d digest) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	dst := b.blobPath(d)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// remove deletes blob d.
func (b *blobStore) remove(d digest) error {
	err := os.Remove(b.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// upload is the persisted state of one blob upload.
type upload struct {
	ID        string    `json:"id"`
	Repo      string    `json:"repo"`
	Offset    int64     `json:"offset"`
	Started   time.Time `json:"started"`
	HashState []byte    `json:"hashState"` // sha256 state after Offset bytes
}

func newUploadID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (b *blobStore) uploadDir(id string) string { return filepath.Join(b.dir, "uploads", id) }

// startUpload creates an empty upload for repo.
func (b *blobStore) startUpload(repo string, now time.Time) (*upload, error) {
	u := &upload{ID: newUploadID(), Repo: repo, Started: now}
	st, _ := sha256.New().(encoding.BinaryMarshaler).MarshalBinary()
	u.HashState = st
	if err := os.Mkdir(b.uploadDir(u.ID), 0o700); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(b.uploadDir(u.ID), "data"))
	if err != nil {
		return nil, err
	}
	f.Close()
	return u, b.saveUpload(u)
}

func (b *blobStore) saveUpload(u *upload) error {
	data, _ := json.Marshal(u)
	path := filepath.Join(b.uploadDir(u.ID), "state")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// getUpload loads upload id of repo, or errUploadMissing.
func (b *blobStore) getUpload(repo, id string) (*upload, error) {
	if !validUploadID(id) {
		return nil, errUploadMissing
	}
	data, err := os.ReadFile(filepath.Join(b.uploadDir(id), "state"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errUploadMissing
	}
	if err != nil {
		return nil, err
	}
	var u upload
	if err := json.Unmarshal(data, &u); err != nil || u.Repo != repo {
		return nil, errUploadMissing
	}
	return &u, nil
}

func validUploadID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, c := range id {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'):
		default:
			return false
		}
	}
	return true
}

// lockUpload serialises writers of one upload; the returned func unlocks.
func (b *blobStore) lockUpload(id string) func() {
	b.mu.Lock()
	m, ok := b.ups[id]
	if !ok {
		m = &sync.Mutex{}
		b.ups[id] = m
	}
	b.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// appendUpload appends r to upload u, at most limit bytes (<0: unbounded),
// and saves the new offset and hash state.
func (b *blobStore) appendUpload(u *upload, r io.Reader, limit int64) (int64, error) {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(u.HashState); err != nil {
		return 0, fmt.Errorf("upload %s: hash state: %w", u.ID, err)
	}
	f, err := os.OpenFile(filepath.Join(b.uploadDir(u.ID), "data"), os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Truncate(u.Offset); err != nil { // drop a torn tail of an earlier, failed append
		return 0, err
	}
	if _, err := f.Seek(u.Offset, io.SeekStart); err != nil {
		return 0, err
	}
	if limit >= 0 {
		r = io.LimitReader(r, limit)
	}
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err != nil {
		return n, err
	}
	u.Offset += n
	u.HashState, _ = h.(encoding.BinaryMarshaler).MarshalBinary()
	return n, b.saveUpload(u)
}

// finishUpload verifies that upload u has digest d and moves it into place.
func (b *blobStore) finishUpload(u *upload, d digest) (int64, error) {
	dataPath := filepath.Join(b.uploadDir(u.ID), "data")
	var sum string
	switch d.alg {
	case "sha256":
		h := sha256.New()
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(u.HashState); err != nil {
			return 0, err
		}
		sum = hex.EncodeToString(h.Sum(nil))
	default:
		s, err := hashFile(dataPath, d.newHash())
		if err != nil {
			return 0, err
		}
		sum = s
	}
	if sum != d.hex {
		return 0, errDigestMismatch
	}
	f, err := os.OpenFile(dataPath, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	if err := b.commit(f, d); err != nil {
		return 0, err
	}
	b.cancelUpload(u.ID)
	return u.Offset, nil
}

func hashFile(path string, h hash.Hash) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cancelUpload removes an upload's files.
func (b *blobStore) cancelUpload(id string) {
	os.RemoveAll(b.uploadDir(id))
	b.mu.Lock()
	delete(b.ups, id)
	b.mu.Unlock()
}

// staleUploads removes uploads not touched since before.
func (b *blobStore) staleUploads(before time.Time) int {
	ents, _ := os.ReadDir(filepath.Join(b.dir, "uploads"))
	n := 0
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if !e.IsDir() {
			if strings.HasPrefix(e.Name(), "put-") && fi.ModTime().Before(before) {
				os.Remove(filepath.Join(b.dir, "uploads", e.Name()))
			}
			continue
		}
		st, err := os.Stat(filepath.Join(b.uploadDir(e.Name()), "state"))
		if err != nil || st.ModTime().Before(before) {
			b.cancelUpload(e.Name())
			n++
		}
	}
	return n
}

// walk calls fn for every stored blob with its modification time.
func (b *blobStore) walk(fn func(d digest, mod time.Time)) error {
	root := filepath.Join(b.dir, "blobs")
	return filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(rel, string(filepath.Separator))
		if len(parts) != 3 {
			return nil
		}
		d, perr := parseDigest(parts[0] + ":" + parts[2])
		if perr != nil {
			return nil
		}
		if fi, err := e.Info(); err == nil {
			fn(d, fi.ModTime())
		}
		return nil
	})
}

// digest is a parsed, validated content digest.
type digest struct{ alg, hex string }

func (d digest) String() string { return d.alg + ":" + d.hex }

func (d digest) newHash() hash.Hash {
	if d.alg == "sha512" {
		return sha512.New()
	}
	return sha256.New()
}

// parseDigest validates "sha256:<64 hex>" or "sha512:<128 hex>".
func parseDigest(s string) (digest, error) {
	alg, hx, ok := strings.Cut(s, ":")
	if !ok {
		return digest{}, errDigestInvalid
	}
	want := map[string]int{"sha256": 64, "sha512": 128}[alg]
	if want == 0 {
		return digest{}, errDigestUnsupported
	}
	if len(hx) != want {
		return digest{}, errDigestInvalid
	}
	for _, c := range hx {
		if !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
			return digest{}, errDigestInvalid
		}
	}
	return digest{alg, hx}, nil
}

// digestOf returns the digest of data under alg.
func digestOf(alg string, data []byte) digest {
	d := digest{alg: alg}
	h := d.newHash()
	h.Write(data)
	d.hex = hex.EncodeToString(h.Sum(nil))
	return d
}

var (
	errBlobMissing       = errors.New("blob unknown")
	errUploadMissing     = errors.New("upload unknown")
	errDigestMismatch    = errors.New("digest does not match content")
	errDigestInvalid     = errors.New("invalid digest")
	errDigestUnsupported = errors.New("unsupported digest algorithm")
)

// touch sets blob d's modification time, which garbage collection reads as
// "recently needed".
func (b *blobStore) touch(d digest, now time.Time) {
	os.Chtimes(b.blobPath(d), now, now)
}

// removeIfOlder deletes blob d unless it was modified at or after cutoff.
func (b *blobStore) removeIfOlder(d digest, cutoff time.Time) error {
	fi, err := os.Stat(b.blobPath(d))
	if err != nil {
		return err
	}
	if !fi.ModTime().Before(cutoff) {
		return errors.New("blob in use")
	}
	return os.Remove(b.blobPath(d))
}
