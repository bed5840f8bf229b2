import { isStorableText } from './storable-text';

describe('isStorableText', () => {
  it('refuses NUL and unpaired surrogates, and accepts any well-formed text', () => {
    for (const bad of ['\u0000', 'a\u0000b', '\ud800', 'x\udc00', '\udc00\ud800', 'end\ud83d']) expect([bad, isStorableText(bad)]).toEqual([bad, false]);
    for (const good of ['', 'plain', 'Équipe 🚀 فريق', '\ud83d\ude80', 'tab\tline\nfeed', '\u0001\u001f', '\uffff']) expect([good, isStorableText(good)]).toEqual([good, true]);
  });
});
