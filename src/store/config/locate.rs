//! Finding the line of a JSON path in config text, so that a problem can say "config.json:16".
//! A small scanner of JSON structure; best effort on broken text, never an error.

/// The 1-based line where the value at `path` (like `numbers[0].rules[1].amount`) starts,
/// or, for a path one level deeper than what exists, where its parent starts.
pub fn line_of_path(text: &[u8], path: &str) -> Option<usize> {
    let mut found = None;
    let mut parent = None;
    let parent_path = path.rfind(['.', '[']).map(|i| &path[..i]);
    walk_json(text, &mut |p, line| {
        if p == path && found.is_none() {
            found = Some(line);
        }
        if Some(p) == parent_path && parent.is_none() {
            parent = Some(line);
        }
    });
    found.or(parent)
}

/// Calls `visit(path, line)` for the start of every value in a JSON text (best effort on
/// broken text: it stops where it cannot go on).
fn walk_json(text: &[u8], visit: &mut dyn FnMut(&str, usize)) {
    let mut w = Walker {
        text,
        stack: Vec::new(),
        path: String::new(),
        line: 1,
        i: 0,
        expect_value: true,
    };
    while w.i < text.len() {
        let c = text[w.i];
        match c {
            b'\n' => {
                w.line += 1;
                w.i += 1;
            }
            b' ' | b'\t' | b'\r' | b':' => w.i += 1,
            b',' => w.comma(),
            b'}' | b']' => w.close(),
            b'"' if matches!(w.stack.last(), Some((Frame::Object { key: None }, _)))
                && !w.expect_value =>
            {
                w.key()
            }
            _ => {
                if w.expect_value {
                    visit(&w.path, w.line);
                }
                w.expect_value = false;
                w.value(c);
            }
        }
    }
}

/// Where [`walk_json`] is in an object or an array, with the length of the path before it.
enum Frame {
    Object { key: Option<String> },
    Array { index: usize },
}

/// [`walk_json`] under way: the byte it is at, its line, and the path of the value there.
struct Walker<'a> {
    text: &'a [u8],
    stack: Vec<(Frame, usize)>,
    path: String,
    line: usize,
    i: usize,
    expect_value: bool,
}

impl Walker<'_> {
    /// Reads the string starting at the quote at `i`, and goes past it.
    fn string(&mut self) -> String {
        let text = self.text;
        let start = self.i + 1;
        self.i += 1;
        while self.i < text.len() && text[self.i] != b'"' {
            if text[self.i] == b'\\' {
                self.i += 1;
            }
            if text.get(self.i) == Some(&b'\n') {
                self.line += 1;
            }
            self.i += 1;
        }
        let s = String::from_utf8_lossy(&text[start.min(text.len())..self.i.min(text.len())])
            .into_owned();
        self.i += 1;
        s
    }

    /// A comma: the next element of an array, or the next key of an object.
    fn comma(&mut self) {
        if let Some((Frame::Array { index }, base)) = self.stack.last_mut() {
            *index += 1;
            self.path.truncate(*base);
            self.path.push_str(&format!("[{index}]"));
            self.expect_value = true;
        } else if let Some((Frame::Object { key }, base)) = self.stack.last_mut() {
            *key = None;
            self.path.truncate(*base);
        }
        self.i += 1;
    }

    /// The end of an object or an array.
    fn close(&mut self) {
        if let Some((_, base)) = self.stack.pop() {
            self.path.truncate(base);
        }
        self.expect_value = false;
        self.i += 1;
    }

    /// An object's key: the path names it.
    fn key(&mut self) {
        let k = self.string();
        if let Some((Frame::Object { key }, base)) = self.stack.last_mut() {
            self.path.truncate(*base);
            if *base > 0 {
                self.path.push('.');
            }
            self.path.push_str(&k);
            *key = Some(k);
        }
        self.expect_value = true;
    }

    /// A value starting with `c`: an object or an array is entered, a string or any other
    /// scalar is gone past.
    fn value(&mut self, c: u8) {
        let text = self.text;
        match c {
            b'{' => {
                self.stack
                    .push((Frame::Object { key: None }, self.path.len()));
                self.i += 1;
            }
            b'[' => {
                let base = self.path.len();
                self.stack.push((Frame::Array { index: 0 }, base));
                self.path.push_str("[0]");
                self.expect_value = true;
                self.i += 1;
                // An empty array: nothing to visit.
                while self.i < text.len() && text[self.i].is_ascii_whitespace() {
                    if text[self.i] == b'\n' {
                        self.line += 1;
                    }
                    self.i += 1;
                }
                if text.get(self.i) == Some(&b']') {
                    self.expect_value = false;
                }
            }
            b'"' => {
                self.string();
            }
            _ => {
                while self.i < text.len()
                    && !matches!(text[self.i], b',' | b'}' | b']' | b'\n' | b' ')
                {
                    self.i += 1;
                }
            }
        }
    }
}
