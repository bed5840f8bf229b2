import { redactEmails } from './contact-details';

describe('redactEmails', () => {
  it('hides addresses at any depth and keeps everything else', () => {
    expect(
      redactEmails({ ownerEmail: 'Ada@Example.com', count: 3, nested: { list: ['x', 'to: bob@example.org.'] }, flag: true, none: null }),
    ).toEqual({ ownerEmail: '[email hidden]', count: 3, nested: { list: ['x', 'to: [email hidden]'] }, flag: true, none: null });
  });
});
