// The storefront's customer reference goes into workflow histories, which cannot be erased: it must be an opaque id
// (processes/common.ts customerRefId). Shaped like a mobile number or an ID number, it is refused.
import { customerRefId } from '../../processes/common';
import { returnWithin7DaysProcess } from '../../processes/returnWithin7Days';
import { complaintProcess } from '../../processes/complaint';

test.each(['cust-8842', 'c_01HZX3', 'shop42:customer:9f2a', 'usr_0a1b2c3d', '123456'])('an opaque reference is taken: %s', (ref) => {
  expect(customerRefId.safeParse(ref).success).toBe(true);
});

test.each(['13912345678', '+8613912345678', '139-1234-5678', '11010519900307123X', '110105199003071234', '110105900307123', 'a@b.example'])('personal data as a reference is refused: %s', (ref) => {
  expect(customerRefId.safeParse(ref).success).toBe(false);
});

test('the openings that put a customer reference into a workflow use it', () => {
  const ret = returnWithin7DaysProcess.open.body.safeParse({ type: 'return', order: { customerId: '13912345678' } });
  expect(ret.success).toBe(false);
  expect(JSON.stringify(ret.error?.issues)).toMatch(/not a phone or ID number/);
  const complaint = complaintProcess.open.body.safeParse({ type: 'complaint', channel: 'online', customerId: '13912345678', merchantId: 'm1', category: 'delivery', description: 'x' });
  expect(JSON.stringify(complaint.error?.issues)).toMatch(/not a phone or ID number/);
});
