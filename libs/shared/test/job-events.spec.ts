import { parseJobEvent, parseJobView } from '../src';

describe('parseJobEvent', () => {
  it('splits an entry into the event and the whole view, with numbers and flags typed', () => {
    const pairs = [
      'ev_job',
      'j1',
      'ev_seq',
      '3',
      'ev_type',
      'completed',
      'ev_at',
      '1700000000005',
      'id',
      'j1',
      'endpointId',
      'echo',
      'createdAt',
      '1700000000000',
    ];
    pairs.push('lowPriority', '1', 'attempts', '1', 'status', 'COMPLETED', 'seq', '3', 'output', '{"n":1}');

    expect(parseJobEvent('1-0', pairs)).toEqual({
      entryId: '1-0',
      jobId: 'j1',
      seq: 3,
      type: 'completed',
      at: 1700000000005,
      payload: undefined,
      view: { id: 'j1', endpointId: 'echo', createdAt: 1700000000000, lowPriority: true, attempts: 1, status: 'COMPLETED', seq: 3, output: '{"n":1}' },
    });
  });

  it("keeps the event's payload out of the view, and reads a view without lowPriority as not low priority", () => {
    const event = parseJobEvent('2-0', [
      'ev_job',
      'j2',
      'ev_seq',
      '1',
      'ev_type',
      'queued',
      'ev_at',
      '1',
      'ev_payload',
      '{"a":1}',
      'id',
      'j2',
      'status',
      'IN_QUEUE',
    ]);

    expect(event.payload).toBe('{"a":1}');
    expect(event.view).toEqual({ id: 'j2', status: 'IN_QUEUE', lowPriority: false });
    expect(parseJobView({ id: 'j2', status: 'IN_QUEUE', lowPriority: '0' })).toEqual(event.view);
  });
});
